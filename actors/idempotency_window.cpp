#include "actors/idempotency_window.hpp"

namespace sy {

idempotency_window::~idempotency_window() {
  if (node_)
    node_->release(bytes_);
}

void idempotency_window::forget_oldest() {
  auto it = by_key_.find(*order_.front());
  order_.pop_front();
  bytes_ -= it->second.bytes;
  if (node_)
    node_->release(it->second.bytes);
  by_key_.erase(it);
}

void idempotency_window::drop_expired(std::int64_t now_ms) {
  while (!order_.empty() && by_key_.find(*order_.front())->second.expires_ms <= now_ms)
    forget_oldest();
}

bool idempotency_window::over_bounds() const {
  return by_key_.size() > limits_.max_keys || bytes_ > limits_.max_bytes
         || (node_ && node_->over());
}

const idempotency_receipt* idempotency_window::find(const std::string& key,
                                                    std::int64_t now_ms) {
  drop_expired(now_ms);
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &it->second.receipt;
}

void idempotency_window::remember(const std::string& key, const event& ev,
                                  std::int64_t now_ms) {
  drop_expired(now_ms);
  if (by_key_.count(key))
    return; // first publish wins; find() is always called before remember()
  entry e;
  e.receipt.seq = ev.seq;
  e.receipt.timestamp_ms = ev.timestamp_ms;
  e.receipt.type = ev.type;
  e.receipt.correlation_id = ev.correlation_id;
  e.expires_ms = now_ms + limits_.window_ms;
  e.bytes = per_key_bytes + key.size() + ev.type.size() + ev.correlation_id.size();
  bytes_ += e.bytes;
  if (node_)
    node_->charge(e.bytes);
  auto it = by_key_.emplace(key, std::move(e)).first;
  order_.push_back(&it->first);
  while (order_.size() > 1 && over_bounds())
    forget_oldest();
}

} // namespace sy
