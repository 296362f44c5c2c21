#include <algorithm>

#include "actors/history_store.hpp"

namespace sy {

namespace {

// Sequence numbers are contiguous, so the slot of seq s is (s - first) from the ring's head.
class memory_history final : public history_store {
public:
  explicit memory_history(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
  }

  void append(event_ptr e) override {
    if (ring_.size() < capacity_) {
      ring_.push_back(std::move(e));
      return;
    }
    ring_[head_] = std::move(e);
    head_ = (head_ + 1) % capacity_;
  }

  std::uint64_t first_seq() const override {
    return ring_.empty() ? 0 : at(0)->ev.seq;
  }

  std::uint64_t last_seq() const override {
    return ring_.empty() ? 0 : at(ring_.size() - 1)->ev.seq;
  }

  std::size_t size() const override {
    return ring_.size();
  }

  std::vector<event_ptr> read_after(std::uint64_t after, std::size_t limit) const override {
    std::vector<event_ptr> out;
    if (ring_.empty() || after >= last_seq())
      return out;
    std::uint64_t first = first_seq();
    std::size_t start = after < first ? 0 : static_cast<std::size_t>(after + 1 - first);
    std::size_t n = std::min(limit, ring_.size() - start);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(at(start + i));
    return out;
  }

  std::vector<event_ptr> last(std::size_t n) const override {
    n = std::min(n, ring_.size());
    std::vector<event_ptr> out;
    out.reserve(n);
    for (std::size_t i = ring_.size() - n; i < ring_.size(); ++i)
      out.push_back(at(i));
    return out;
  }

private:
  const event_ptr& at(std::size_t i) const {
    return ring_[(head_ + i) % ring_.size()];
  }

  std::size_t capacity_;
  std::size_t head_ = 0; // index of the oldest event once the ring is full
  std::vector<event_ptr> ring_;
};

} // namespace

std::unique_ptr<history_store> make_memory_history(std::size_t capacity) {
  return std::make_unique<memory_history>(capacity);
}

} // namespace sy
