#include "metrics/counters.hpp"

#include <memory>
#include <mutex>

namespace sy::metrics {

namespace {

// Registration and scrapes only: never taken by a count.
struct registry {
  std::mutex mtx;
  std::vector<std::unique_ptr<block>> blocks;
};

registry& the_registry() {
  static registry* r = new registry; // never destroyed: threads may count during exit
  return *r;
}

} // namespace

block* register_block() {
  auto b = std::make_unique<block>();
  for (auto& s : b->v)
    s.store(0, std::memory_order_relaxed);
  auto& r = the_registry();
  std::lock_guard<std::mutex> lock(r.mtx);
  r.blocks.push_back(std::move(b));
  return r.blocks.back().get();
}

std::vector<std::uint64_t> snapshot() {
  std::vector<std::uint64_t> out(slot_count, 0);
  auto& r = the_registry();
  std::lock_guard<std::mutex> lock(r.mtx);
  for (const auto& b : r.blocks)
    for (std::size_t i = 0; i < slot_count; ++i)
      out[i] += b->v[i].load(std::memory_order_relaxed);
  return out;
}

} // namespace sy::metrics

#include <cstring>

#include "metrics/hooks.hpp"

namespace sy::metrics {

void member_state_changed(const char* from, const char* to) noexcept {
  for (std::size_t i = 0; i < member_state_count; ++i) {
    if (std::strcmp(from, member_states[i]) == 0)
      sub(members + i);
    if (std::strcmp(to, member_states[i]) == 0)
      add(members + i);
  }
}

} // namespace sy::metrics
