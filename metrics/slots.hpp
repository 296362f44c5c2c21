#pragma once
// The counter slots, one flat table: each metric family takes a fixed run of slots, one per
// label value (dialect id, errc value, close code, route x result) or per histogram bucket.
// Fixed runs keep a count an index, never a lookup by name on the hot path.
#include <cstddef>
#include <cstdint>

namespace sy::metrics {

// -- label spaces --------------------------------------------------------------------------------

constexpr std::size_t max_dialects = 4;  // dialect ids (schema/dialects/id.hpp), checked there
constexpr std::size_t max_errc = 48;     // errc values 1..47 (schema/errc.hpp), checked there

/// Close codes with a slot of their own (schema/codes.hpp); any other code counts as "other".
constexpr std::uint16_t close_codes[] = {1000, 1001, 1002, 1003, 1005, 1006, 1007, 1009,
                                         1011, 4001, 4002, 4003, 4008, 4009, 4010, 4011};
constexpr std::size_t close_code_slots = sizeof(close_codes) / sizeof(close_codes[0]) + 1;

constexpr std::size_t close_code_index(std::uint16_t code) {
  std::size_t i = 0;
  while (i < close_code_slots - 1 && close_codes[i] != code)
    ++i;
  return i; // close_code_slots - 1: other
}

/// The REST route a publish came in by (`ingest`: a dialect's ingestion route).
enum class route : std::uint8_t { channel, feed, feed_control, ingest, count_ };
constexpr std::size_t route_count = static_cast<std::size_t>(route::count_);

/// A publish's result: stored, duplicate (idempotency key seen), or refused with an errc
/// (slot 2 + errc value).
constexpr std::size_t result_ok = 0;
constexpr std::size_t result_duplicate = 1;
constexpr std::size_t result_slots = 2 + max_errc;

enum class forward : std::uint8_t { publish, history, count_ };
constexpr std::size_t forward_count = static_cast<std::size_t>(forward::count_);

/// Cluster member states (actors/cluster.cpp).
constexpr const char* member_states[] = {"connecting", "up", "down"};
constexpr std::size_t member_state_count = 3;

// -- histogram bounds (upper bounds, inclusive; +Inf follows) ------------------------------------

/// Publish -> deliver, microseconds. Event timestamps are milliseconds, so below 1 ms the
/// histogram cannot resolve.
constexpr std::uint64_t latency_us_bounds[] = {1000,   2000,   5000,    10000,   25000,
                                               50000,  100000, 250000,  500000,  1000000,
                                               2500000, 5000000, 10000000};
/// Store batch write (with its WAL sync), microseconds.
constexpr std::uint64_t store_us_bounds[] = {100,   250,   500,    1000,   2500,  5000,
                                             10000, 25000, 50000, 100000, 250000, 1000000};
/// Store batch size, writes.
constexpr std::uint64_t batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

template <std::size_t N>
constexpr std::size_t histogram_slots(const std::uint64_t (&)[N]) {
  return N + 3; // buckets, +Inf, sum, count
}

// -- the table -------------------------------------------------------------------------------------

constexpr std::size_t connections = 0;                               // gauge, by dialect
constexpr std::size_t connections_opened = connections + max_dialects; // counter, by dialect
constexpr std::size_t subscriptions = connections_opened + max_dialects; // gauge
constexpr std::size_t channels = subscriptions + 1;                   // gauge
constexpr std::size_t rooms = channels + 1;                           // gauge
constexpr std::size_t room_members = rooms + 1;                       // gauge
constexpr std::size_t deliveries = room_members + 1;                  // counter
constexpr std::size_t sent_bytes = deliveries + 1;                    // counter
constexpr std::size_t slow_consumer_closes = sent_bytes + 1;          // counter
constexpr std::size_t history_events = slow_consumer_closes + 1;      // gauge
constexpr std::size_t history_bytes = history_events + 1;             // gauge
constexpr std::size_t store_batches_failed = history_bytes + 1;       // counter
constexpr std::size_t forwarded = store_batches_failed + 1;           // counter, by kind
constexpr std::size_t members = forwarded + forward_count;            // gauge, by state
constexpr std::size_t closes = members + member_state_count;          // counter, by code
constexpr std::size_t refusals = closes + close_code_slots;           // counter, by errc
constexpr std::size_t publishes = refusals + max_errc;                // counter, route x result
constexpr std::size_t deliver_latency = publishes + route_count * result_slots;
constexpr std::size_t store_write = deliver_latency + histogram_slots(latency_us_bounds);
constexpr std::size_t store_batch = store_write + histogram_slots(store_us_bounds);
constexpr std::size_t slot_count = store_batch + histogram_slots(batch_bounds);

} // namespace sy::metrics
