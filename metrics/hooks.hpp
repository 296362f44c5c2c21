#pragma once
// The counting hooks, one call at each place that counts (sessions, channels, the store, the
// HTTP edge). Each is a handful of instructions on the calling thread's own block
// (metrics/counters.hpp); none sends a message or takes a lock.
#include <chrono>
#include <cstdint>

#include "metrics/counters.hpp"
#include "schema/dialects/id.hpp"
#include "schema/errc.hpp"

namespace sy::metrics {

static_assert(dialect_count <= max_dialects, "metrics/slots.hpp: raise max_dialects");

inline std::size_t errc_slot(errc e) noexcept {
  auto i = static_cast<std::size_t>(e);
  return i < max_errc ? i : 0; // 0: an errc past the table (checked by the unit tests)
}

/// A plain RAII count of live objects of one kind (channels, rooms): +1 now, -1 when destroyed.
class live_count {
public:
  explicit live_count(std::size_t slot) noexcept : slot_(slot) {
    add(slot_);
  }
  ~live_count() {
    sub(slot_);
  }
  live_count(const live_count&) = delete;
  live_count& operator=(const live_count&) = delete;

private:
  std::size_t slot_;
};

/// Part of a gauge held by one owner (a channel's subscribers, a room's members): counted up
/// and down as it changes, and what is left given back when the owner is destroyed.
class held_count {
public:
  explicit held_count(std::size_t slot) noexcept : slot_(slot) {
  }
  ~held_count() {
    sub(slot_, n_);
  }
  held_count(const held_count&) = delete;
  held_count& operator=(const held_count&) = delete;

  void up(std::uint64_t k = 1) noexcept {
    n_ += k;
    add(slot_, k);
  }
  void down(std::uint64_t k = 1) noexcept {
    n_ -= k;
    sub(slot_, k);
  }

private:
  std::size_t slot_;
  std::uint64_t n_ = 0;
};

inline void connection_opened(dialect d) noexcept {
  add(connections + static_cast<std::size_t>(d));
  add(connections_opened + static_cast<std::size_t>(d));
}

inline void connection_closed(dialect d, std::uint16_t code) noexcept {
  sub(connections + static_cast<std::size_t>(d));
  add(closes + close_code_index(code));
  if (code == 4009)
    add(slow_consumer_closes);
}

inline void refused(errc e) noexcept {
  add(refusals + errc_slot(e));
}

inline void published(route r, std::size_t result) noexcept {
  add(publishes + static_cast<std::size_t>(r) * result_slots + result);
}

inline void publish_failed(route r, errc e) noexcept {
  published(r, 2 + errc_slot(e));
}

/// Events [offset, end) of a burst queued to one connection now: one delivery each, and
/// their latency from the event's timestamp (milliseconds, wall clock) to now. This runs per
/// connection, so events with the same timestamp (most of a burst) are observed as one run.
template <class Events>
inline void delivered(const Events& events, std::size_t offset) noexcept {
  if (offset >= events.size())
    return;
  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  add(deliveries, events.size() - offset);
  for (std::size_t i = offset; i < events.size();) {
    auto ts = events[i]->ev.timestamp_ms;
    std::size_t run = 1;
    while (i + run < events.size() && events[i + run]->ev.timestamp_ms == ts)
      ++run;
    auto d = now_us - ts * 1000;
    observe(deliver_latency, latency_us_bounds, d > 0 ? static_cast<std::uint64_t>(d) : 0, run);
    i += run;
  }
}

inline void history_added(std::size_t bytes) noexcept {
  add(history_events);
  add(history_bytes, bytes);
}

inline void history_removed(std::size_t events, std::size_t bytes) noexcept {
  sub(history_events, events);
  sub(history_bytes, bytes);
}

inline void store_batch_written(std::uint64_t micros, std::uint64_t writes, bool ok) noexcept {
  observe(store_write, store_us_bounds, micros);
  observe(store_batch, batch_bounds, writes);
  if (!ok)
    add(store_batches_failed);
}

inline void forwarded_to_owner(forward kind) noexcept {
  add(forwarded + static_cast<std::size_t>(kind));
}

/// A cluster member moved from state `from` ("" when new) to `to` (member_states).
void member_state_changed(const char* from, const char* to) noexcept;

} // namespace sy::metrics
