#include <algorithm>
#include <deque>

#include "actors/byte_budget.hpp"
#include "actors/history_store.hpp"
#include "metrics/hooks.hpp"

namespace sy {

std::size_t event_footprint(const encoded_event& e) {
  // What the event keeps alive: its strings' capacities (what is allocated, not only used)
  // and the allocations around them (an estimate of the heap's per-allocation overhead, so
  // many small events count for what they cost).
  constexpr std::size_t per_allocation = 32;
  const auto& ev = e.ev;
  std::size_t n = sizeof(encoded_event) + per_allocation;
  for (const std::string* s : {&ev.channel, &ev.type, &ev.data_json, &ev.metadata_json,
                               &ev.idempotency_key, &ev.correlation_id, &e.id, &e.rest_json})
    n += s->capacity() + per_allocation;
  for (const auto& [k, v] : ev.metadata)
    n += k.size() + v.size() + 2 * per_allocation;
  for (const auto& f : e.live)
    if (f)
      n += f->capacity() + sizeof(std::string) + per_allocation;
  return n;
}

namespace {

// Sequence numbers are contiguous, so the slot of seq s is (s - first) from the front.
class memory_history final : public history_store {
public:
  memory_history(std::size_t capacity, std::shared_ptr<byte_budget> node)
    : capacity_(std::max<std::size_t>(capacity, 1)), node_(std::move(node)) {
  }

  ~memory_history() override {
    if (node_)
      node_->release(bytes_);
  }

  void append(event_ptr e) override {
    auto n = event_footprint(*e);
    bytes_ += n;
    counted_events_.up();
    counted_bytes_.up(n);
    if (node_)
      node_->charge(n);
    ring_.push_back(std::move(e));
    if (ring_.size() > capacity_)
      pop_front();
    // Over the node's bound: this channel gives back its own oldest events, keeping the one
    // just appended (a quiet channel's tail is left alone; it retires when idle).
    while (node_ && node_->over() && ring_.size() > 1)
      pop_front();
  }

  std::uint64_t expire_before(std::int64_t cutoff_ms) override {
    // Timestamps follow seq order (one channel stamps them in turn), so the expired events
    // are a prefix; a wall clock stepping back only delays an expiry, it never skips one.
    std::uint64_t last = 0;
    while (!ring_.empty() && ring_.front()->ev.timestamp_ms < cutoff_ms) {
      last = ring_.front()->ev.seq;
      pop_front();
    }
    return last;
  }

  std::uint64_t first_seq() const override {
    return ring_.empty() ? 0 : ring_.front()->ev.seq;
  }

  std::uint64_t last_seq() const override {
    return ring_.empty() ? 0 : ring_.back()->ev.seq;
  }

  std::size_t size() const override {
    return ring_.size();
  }

  std::size_t bytes() const override {
    return bytes_;
  }

  std::vector<event_ptr> read_after(std::uint64_t after, std::size_t limit) const override {
    std::vector<event_ptr> out;
    if (ring_.empty() || after >= last_seq())
      return out;
    std::uint64_t first = first_seq();
    std::size_t start = after < first ? 0 : static_cast<std::size_t>(after + 1 - first);
    std::size_t n = std::min(limit, ring_.size() - start);
    out.assign(ring_.begin() + static_cast<std::ptrdiff_t>(start),
               ring_.begin() + static_cast<std::ptrdiff_t>(start + n));
    return out;
  }

  std::vector<event_ptr> last(std::size_t n) const override {
    n = std::min(n, ring_.size());
    return {ring_.end() - static_cast<std::ptrdiff_t>(n), ring_.end()};
  }

private:
  void pop_front() {
    auto n = event_footprint(*ring_.front());
    bytes_ -= n;
    counted_events_.down();
    counted_bytes_.down(n);
    if (node_)
      node_->release(n);
    ring_.pop_front();
  }

  std::size_t capacity_;
  std::shared_ptr<byte_budget> node_;
  std::size_t bytes_ = 0;
  std::deque<event_ptr> ring_;
  // GET /metrics: events and bytes retained in memory, all channels together.
  metrics::held_count counted_events_{metrics::history_events};
  metrics::held_count counted_bytes_{metrics::history_bytes};
};

} // namespace

std::unique_ptr<history_store> make_memory_history(std::size_t capacity,
                                                   std::shared_ptr<byte_budget> node) {
  return std::make_unique<memory_history>(capacity, std::move(node));
}

} // namespace sy
