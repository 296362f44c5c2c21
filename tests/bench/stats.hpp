#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sy::bench {

// Exact latency percentiles: runs are bounded (at most a few million deliveries), so keeping
// every sample (8 bytes each) is cheaper to reason about than a histogram's bucket error.
class latency_recorder {
public:
  void reserve(std::size_t n) { samples_.reserve(n); }
  void add(uint64_t ns) { samples_.push_back(ns); }
  std::size_t count() const { return samples_.size(); }
  // q in [0,1]; returns microseconds. Sorts lazily (call after the run).
  double percentile_us(double q);
  double mean_us() const;
  double max_us();

private:
  std::vector<uint64_t> samples_;
  bool sorted_ = false;
};

// One sample of the server processes' accounting (summed over every pid given: nginx has a
// master and a worker).
struct proc_sample {
  bool ok = false;
  double cpu_s = 0;  // utime + stime
  long rss_kb = 0;   // VmRSS
};

proc_sample sample_procs(const std::vector<int>& pids);

// Per-subscriber record of which event indexes arrived: detects loss and duplicates.
class seen_set {
public:
  void resize(std::size_t n) { bits_.assign((n + 63) / 64, 0); }
  // Returns false when the index was already marked (a duplicate) or out of range.
  bool mark(std::size_t i) {
    if (i / 64 >= bits_.size()) return false;
    uint64_t bit = 1ull << (i % 64);
    uint64_t& w = bits_[i / 64];
    if (w & bit) return false;
    w |= bit;
    return true;
  }
  bool test(std::size_t i) const { return i / 64 < bits_.size() && (bits_[i / 64] >> (i % 64)) & 1; }

private:
  std::vector<uint64_t> bits_;
};

} // namespace sy::bench
