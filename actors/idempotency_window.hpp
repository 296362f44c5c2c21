#pragma once
// Remembers the idempotency keys of one channel for a time window, so that a retried publish is
// answered with the original event instead of a second one. Owned by one channel actor.
//
// It keeps a receipt per key, never the event: while the event is still in the channel's
// history the channel answers from there (the same bytes as the first reply), and once it has
// left, from the receipt. Holding the whole event per key kept every payload alive for the
// whole window, three times over (data, REST object, live frame): one channel with unique keys
// and 64 KiB events grew to 2.6 GB after 13,500 publishes.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/byte_budget.hpp"
#include "schema/event.hpp"

namespace sy {

/// The bytes held by every window of the node, against idempotency.max_node_bytes: a window
/// over it forgets its own oldest keys, so a busy channel never evicts a quiet one's.
using idempotency_budget = byte_budget;

/// What a duplicate reply needs once the event has left the history: its place and the
/// publisher's short fields (data and metadata are not kept).
struct idempotency_receipt {
  std::uint64_t seq = 0;
  std::int64_t timestamp_ms = 0;
  std::string type;
  std::string correlation_id;
};

class idempotency_window {
public:
  struct limits {
    std::int64_t window_ms = 300000;
    std::size_t max_keys = 100000;
    std::size_t max_bytes = 32u << 20;
  };

  explicit idempotency_window(limits l, std::shared_ptr<idempotency_budget> node = nullptr)
    : limits_(l), node_(std::move(node)) {
  }
  ~idempotency_window();
  idempotency_window(const idempotency_window&) = delete;
  idempotency_window& operator=(const idempotency_window&) = delete;

  /// The receipt of the event first published with `key`; nullptr when unknown or expired.
  const idempotency_receipt* find(const std::string& key, std::int64_t now_ms);
  /// Records `key` for `ev` (the first publish wins). Over max_keys, max_bytes or the node's
  /// budget the oldest keys are forgotten early; the newest always stays.
  void remember(const std::string& key, const event& ev, std::int64_t now_ms);

  std::size_t size() const {
    return by_key_.size();
  }
  /// Calls f(key, receipt, expires_ms) for every key remembered, oldest first (expired ones
  /// not dropped yet included: the caller compares expires_ms with its clock).
  template <class F>
  void for_each(F&& f) const {
    for (const auto* key : order_) {
      const auto& e = by_key_.find(*key)->second;
      f(*key, e.receipt, e.expires_ms);
    }
  }
  /// What the window accounts for: key, type and correlation id plus a fixed cost per key.
  std::size_t bytes() const {
    return bytes_;
  }
  /// The fixed cost of one key: map node, receipt, order slot (measured by size, not exact).
  static constexpr std::size_t per_key_bytes = 160;

private:
  struct entry {
    idempotency_receipt receipt;
    std::int64_t expires_ms = 0;
    std::size_t bytes = 0;
  };
  using map = std::unordered_map<std::string, entry>;

  void drop_expired(std::int64_t now_ms);
  bool over_bounds() const;
  void forget_oldest();

  limits limits_;
  std::shared_ptr<idempotency_budget> node_;
  std::size_t bytes_ = 0;
  // Oldest first (keys are remembered in time order, so also by expiry). Points at the map's
  // own key: node-based maps keep element addresses across rehashing, so each key is held once.
  std::deque<const std::string*> order_;
  map by_key_;
};

} // namespace sy
