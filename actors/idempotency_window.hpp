#pragma once
// Remembers idempotency keys of one channel for a time window so a retried publish returns the
// original event instead of a new one. Owned by one channel actor (no locking).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "schema/event.hpp"

namespace sy {

class idempotency_window {
public:
  idempotency_window(std::int64_t window_ms, std::size_t max_keys)
    : window_ms_(window_ms), max_keys_(max_keys) {
  }

  /// The event first published with `key`, or nullptr when unknown or expired.
  event_ptr find(const std::string& key, std::int64_t now_ms);
  /// Records `key`; when more than max_keys are held the oldest is forgotten early.
  void remember(const std::string& key, event_ptr ev, std::int64_t now_ms);
  std::size_t size() const {
    return by_key_.size();
  }

private:
  void expire(std::int64_t now_ms);

  struct entry {
    std::int64_t expires_ms;
    std::string key;
  };
  std::int64_t window_ms_;
  std::size_t max_keys_;
  std::deque<entry> order_; // ascending expiry: keys are remembered in time order
  std::unordered_map<std::string, event_ptr> by_key_;
};

} // namespace sy
