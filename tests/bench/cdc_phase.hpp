#pragma once

#include "stats.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace sy::bench {

// CLOCK_REALTIME in ns: an event's `timestamp` (the commit time of a captured change) is wall
// clock, so its delivery is stamped with the same clock (one machine, one clock).
inline uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// One measured phase of sy_cdcbench: the rows n in [base, base + count) it produced, when each
// was sent, and what the subscriber saw of them.
struct cdc_phase {
  std::string name;
  uint64_t base = 0;
  std::size_t count = 0;
  seen_set seen;
  std::vector<uint64_t> sent_ns;  // wall clock when row i's statement / request left
  std::size_t issued = 0;         // rows handed to PostgreSQL or to a publisher so far
  std::size_t statements = 0;     // transactions (CDC) or requests (REST)
  std::size_t failed = 0;         // statements / requests that failed (their rows are lost)
  std::size_t delivered = 0, duplicates = 0;
  uint64_t start_ns = 0;          // wall clock: the phase's first statement / request
  uint64_t issued_ns = 0;         // the last statement answered (A: the commit returned)
  uint64_t first_ns = 0, last_ns = 0;   // first and last delivery
  int64_t last_commit_ms = 0;     // the `timestamp` of the last delivered event
  latency_recorder commit_lat;    // event `timestamp` -> delivery
  latency_recorder send_lat;      // statement / request sent -> delivery
  proc_sample cpu0, cpu1, wal0, wal1;

  void reset(std::string n, uint64_t b, std::size_t c) {
    name = std::move(n);
    base = b;
    count = c;
    seen.resize(c);
    sent_ns.assign(c, 0);
    commit_lat.reserve(c);
    send_lat.reserve(c);
  }
  bool complete() const { return delivered + failed >= count; }
  // One delivery of row n at wall time `now`, stamped `ts_ms` by the server.
  void deliver(uint64_t n, uint64_t now, int64_t ts_ms);
  // The phase's figures as one JSON object.
  std::string json();
};

} // namespace sy::bench
