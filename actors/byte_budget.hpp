#pragma once
// A node-wide byte count shared by actors that each own part of what it counts (the hot tails
// of every channel, the idempotency windows). An atomic like a metric, not a lock: each actor
// still owns its own data and, when the node is over its bound, gives back its own oldest
// entries, so a busy channel never reaches into a quiet one.
#include <atomic>
#include <cstddef>

namespace sy {

class byte_budget {
public:
  explicit byte_budget(std::size_t max_bytes) : max_(max_bytes) {
  }
  bool over() const noexcept {
    return used_.load(std::memory_order_relaxed) > max_;
  }
  std::size_t used() const noexcept {
    return used_.load(std::memory_order_relaxed);
  }
  std::size_t max() const noexcept {
    return max_;
  }
  void charge(std::size_t n) noexcept {
    used_.fetch_add(n, std::memory_order_relaxed);
  }
  void release(std::size_t n) noexcept {
    used_.fetch_sub(n, std::memory_order_relaxed);
  }

private:
  std::atomic<std::size_t> used_{0};
  std::size_t max_;
};

} // namespace sy
