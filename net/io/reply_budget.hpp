#pragma once
// Bytes of HTTP replies held in the server for clients that have not taken them: a reply's
// whole buffer counts until the kernel has taken its last byte.
//
// Why: a reply is built whole (a history page is one string) and stays in memory until the
// kernel has taken the last byte. Forty connections that asked for a page of 500 x 64 KiB
// events and never read took the daemon from 114 MB to 2 GB of RSS. A connection writes one
// reply at a time and reads no further request until it has gone (backpressure), so what
// waits is at most one reply per connection; this bounds the sum:
//  - a reply up to `per_connection` bytes is always written (health checks, publishes, small
//    pages: a connection's share stays small);
//  - a larger one is written only if the bytes already waiting across every HTTP connection
//    leave room for it under `total` (or nothing waits at all, so one reply of any size can
//    still reach a client that reads it); otherwise the client gets 503 busy instead.
// What waits on a connection that does not read goes with the connection when its write
// deadline (http.handshake_timeout_ms) passes.
#include <atomic>
#include <cstddef>

namespace sy {

class reply_budget {
public:
  reply_budget(std::size_t per_connection, std::size_t total)
    : per_connection_(per_connection), total_(total) {
  }

  /// For a reply of `bytes` about to be written: true (and `bytes` charged) when it may be.
  /// Replies up to the per-connection bound are not charged here (see charge()).
  bool admit(std::size_t bytes) {
    if (bytes <= per_connection_)
      return true;
    auto cur = pending_.load(std::memory_order_relaxed);
    do {
      if (cur != 0 && cur + bytes > total_)
        return false;
    } while (!pending_.compare_exchange_weak(cur, cur + bytes, std::memory_order_relaxed));
    return true;
  }
  /// Bytes that now wait (a small reply the socket did not take at once).
  void charge(std::size_t bytes) {
    pending_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void release(std::size_t bytes) {
    pending_.fetch_sub(bytes, std::memory_order_relaxed);
  }
  std::size_t pending() const {
    return pending_.load(std::memory_order_relaxed);
  }
  std::size_t per_connection() const {
    return per_connection_;
  }

private:
  const std::size_t per_connection_;
  const std::size_t total_;
  std::atomic<std::size_t> pending_{0};
};

/// One connection's charge against the budget: what its current reply still holds in memory.
/// Settled as bytes leave; released whole when the connection goes.
class reply_charge {
public:
  explicit reply_charge(reply_budget& b) : budget_(b) {
  }
  ~reply_charge() {
    settle(0);
  }
  reply_charge(const reply_charge&) = delete;
  reply_charge& operator=(const reply_charge&) = delete;

  /// Starts a reply of `bytes`: false when the budget has no room for it (answer 503 busy).
  bool begin(std::size_t bytes) {
    settle(0);
    if (!budget_.admit(bytes))
      return false;
    if (bytes > budget_.per_connection())
      held_ = bytes; // admit() charged it
    return true;
  }
  /// The reply now holds `left` bytes in memory: charges a small reply that must wait (its
  /// whole size), releases everything once the kernel took the last byte (0).
  void settle(std::size_t left) {
    if (left > held_)
      budget_.charge(left - held_);
    else if (left < held_)
      budget_.release(held_ - left);
    held_ = left;
  }

private:
  reply_budget& budget_;
  std::size_t held_ = 0;
};

} // namespace sy
