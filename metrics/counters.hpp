#pragma once
// Process-wide counters without shared writes: every thread that counts owns a block of slots
// (created on its first count, kept after it exits) and is its blocks' only writer; a scrape
// sums the blocks. A count is a relaxed load and store of the thread's own slot -- plain moves
// on x86, no locked instruction and no cache line shared between threads -- so counting costs
// the hot path (one fan-out delivers to thousands of sessions on two threads) next to nothing.
// Gauges are the same slots counted up and down (wrapping unsigned arithmetic: a +1 on one
// thread and a -1 on another sum to 0), read as signed.
//
// The slot layout is one flat table (metrics/slots.hpp); what each slot means and how it is
// exposed is net/bridge/metrics_catalog.cpp.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "metrics/slots.hpp"

namespace sy::metrics {

struct block {
  std::atomic<std::uint64_t> v[slot_count];
};

/// A new zeroed block for the calling thread, entered in the list a scrape sums. Never freed:
/// a thread's counts outlive it (threads are few and long-lived here).
block* register_block();

inline block& local() noexcept {
  thread_local block* b = register_block();
  return *b;
}

inline void add(std::size_t slot, std::uint64_t n = 1) noexcept {
  auto& c = local().v[slot];
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

inline void sub(std::size_t slot, std::uint64_t n = 1) noexcept {
  add(slot, std::uint64_t{0} - n);
}

/// Every slot summed over every thread's block (a scrape: the only reader).
std::vector<std::uint64_t> snapshot();

/// A histogram of `buckets.size() + 1` slots from `base` (the last one +Inf), then the sum
/// and the count. Values are integers in the histogram's unit (microseconds, writes); `times`
/// observes the same value that many times at the cost of one.
template <std::size_t N>
inline void observe(std::size_t base, const std::uint64_t (&bounds)[N], std::uint64_t value,
                    std::uint64_t times = 1) noexcept {
  std::size_t i = 0;
  while (i < N && value > bounds[i])
    ++i;
  auto& b = local();
  auto bump = [&b](std::size_t slot, std::uint64_t n) {
    auto& c = b.v[slot];
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  };
  bump(base + i, times);
  bump(base + N + 1, value * times);
  bump(base + N + 2, times);
}

} // namespace sy::metrics
