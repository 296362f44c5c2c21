#pragma once
// What console.stats carries (PROTOCOL.md *`console.stats`*), read from the per-thread counter
// blocks a /metrics scrape sums (metrics/counters.hpp): no counting of its own, so watching the
// console adds nothing to the hot path. Pure functions (no CAF, no I/O), tested directly.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "schema/dialects/id.hpp"

namespace sy {

/// The node's numbers at one instant: gauges (may read negative for a moment while a +1 on
/// one thread waits for its -1 on another, so signed) and two counters.
struct stats_sample {
  std::array<std::int64_t, dialect_count> connections_by_dialect{};
  std::int64_t connections = 0;
  std::int64_t channels = 0;
  std::int64_t subscriptions = 0;
  std::int64_t rooms = 0;
  std::int64_t members = 0;
  std::uint64_t publishes = 0;  // REST publishes stored (result ok), every route
  std::uint64_t deliveries = 0; // events queued to connections
};

/// A sample from a metrics::snapshot().
stats_sample read_stats_sample(const std::vector<std::uint64_t>& snapshot);

/// A cluster member as GET /v1/cluster shows it.
struct stats_member {
  std::string node_id;
  std::string state; // up, connecting, down
  bool self = false;
};

/// The event's data: totals from `now`, rates per second from `before` to `now` over
/// `seconds` (0 when `seconds` is not positive or a counter went back).
std::string stats_data_json(const stats_sample& now, const stats_sample& before, double seconds,
                            const std::vector<stats_member>& members);

} // namespace sy
