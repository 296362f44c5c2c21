#include "actors/idempotency_window.hpp"

namespace sy {

void idempotency_window::expire(std::int64_t now_ms) {
  while (!order_.empty() && (order_.front().expires_ms <= now_ms || by_key_.size() > max_keys_)) {
    by_key_.erase(order_.front().key);
    order_.pop_front();
  }
}

event_ptr idempotency_window::find(const std::string& key, std::int64_t now_ms) {
  expire(now_ms);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

void idempotency_window::remember(const std::string& key, event_ptr ev, std::int64_t now_ms) {
  auto [it, inserted] = by_key_.emplace(key, std::move(ev));
  if (!inserted)
    return; // first publish wins; find() is always called before remember()
  order_.push_back({now_ms + window_ms_, key});
  expire(now_ms);
}

} // namespace sy
