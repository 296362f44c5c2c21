#include "actors/reply_order.hpp"

#include <algorithm>

namespace sy {

reply_order::ticket reply_order::reserve(std::int64_t now_ms) {
  entry e;
  e.id = next_++;
  e.since_ms = now_ms;
  entries_.push_back(std::move(e));
  return entries_.back().id;
}

reply_order::entry* reply_order::find(ticket t) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), t,
                             [](const entry& e, ticket id) { return e.id < id; });
  return it != entries_.end() && it->id == t ? &*it : nullptr;
}

bool reply_order::add(ticket t, outgoing&& o, std::size_t bytes) {
  auto* e = find(t);
  if (!e)
    return false;
  e->out.push_back(std::move(o));
  e->bytes += bytes;
  bytes_ += bytes;
  return true;
}

void reply_order::complete(ticket t) {
  if (auto* e = find(t))
    e->complete = true;
}

void reply_order::push(outgoing o, std::size_t bytes) {
  entry e;
  e.id = next_++;
  e.complete = true;
  e.bytes = bytes;
  e.out.push_back(std::move(o));
  bytes_ += bytes;
  entries_.push_back(std::move(e));
}

std::vector<outgoing> reply_order::take_ready() {
  std::vector<outgoing> ready;
  auto first_held = entries_.begin();
  for (; first_held != entries_.end() && first_held->complete; ++first_held) {
    bytes_ -= first_held->bytes;
    for (auto& o : first_held->out)
      ready.push_back(std::move(o));
  }
  entries_.erase(entries_.begin(), first_held);
  if (entries_.empty())
    std::vector<entry>().swap(entries_); // an idle connection holds no buffer here
  return ready;
}

void reply_order::give_up_before(std::int64_t now_ms, std::int64_t max_wait_ms) {
  for (auto& e : entries_)
    if (!e.complete && now_ms - e.since_ms >= max_wait_ms)
      e.complete = true;
}

} // namespace sy
