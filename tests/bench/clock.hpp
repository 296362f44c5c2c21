#pragma once

#include <cstdint>
#include <ctime>

namespace sy::bench {

// CLOCK_MONOTONIC in ns: the same clock the publisher stamps into "t", so a delivery's latency
// is a plain subtraction inside this one process.
inline uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

} // namespace sy::bench
