#pragma once
// The subscribers of one channel or one wildcard pattern, grouped by filter so that equal
// filters are evaluated once per event. Owned by a single actor; no locking.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "metrics/hooks.hpp"
#include "schema/messages.hpp"

namespace sy {

/// The data of a run of events, parsed at most once and only when a filter asks for it
/// (predicates, operations, entity); scopes-only filters never parse.
class data_cache {
public:
  // Allocates nothing until a filter asks: most bursts are fanned out without any.
  explicit data_cache(const std::vector<event_ptr>& events) : events_(events) {
  }
  const boost::json::value* get(std::size_t i);

private:
  const std::vector<event_ptr>& events_;
  std::vector<boost::json::value> parsed_;
  std::vector<bool> done_;
};

/// True when `f` (null: no filter) lets event i of the cache's run through.
inline bool passes(const event_filter_ptr& f, const std::vector<event_ptr>& events,
                   std::size_t i, data_cache& cache) {
  if (!f)
    return true;
  return matches(*f, events[i]->ev.metadata, needs_data(*f) ? cache.get(i) : nullptr);
}

class subscriber_set {
public:
  struct member {
    session_actor session;
    std::uint32_t sub_id = 0;
    std::uint64_t from_seq = 0; // first seq it gets live; older ones came with its replay
  };

  bool contains(const caf::actor_addr& who) const {
    return where_.count(who) > 0;
  }
  bool empty() const noexcept {
    return where_.empty();
  }
  std::size_t size() const noexcept {
    return where_.size();
  }

  /// Adds (or replaces) the session's subscription.
  void add(const sub_request& req, std::uint64_t from_seq);
  /// Removes the session's subscription; false when it had none.
  bool remove(const caf::actor_addr& who);
  /// Removes it only if it is still subscription `sub_id` (a newer one may have replaced it).
  bool remove(const caf::actor_addr& who, std::uint32_t sub_id);

  /// Calls send(member, batch, offset) for every member with something to receive from `all`:
  /// `batch` is `all` filtered once per group, `offset` skips what the member's replay held.
  template <class Send>
  void fan_out(const event_batch& all, Send&& send) const {
    data_cache cache(*all);
    for (const auto& [key, g] : groups_) {
      event_batch batch = all;
      if (g.filter) { // one evaluation per group, shared by its members
        std::vector<event_ptr> kept;
        for (std::size_t i = 0; i < all->size(); ++i)
          if (passes(g.filter, *all, i, cache))
            kept.push_back((*all)[i]);
        if (kept.empty())
          continue;
        batch = std::make_shared<const std::vector<event_ptr>>(std::move(kept));
      }
      for (const auto& m : g.members) {
        std::uint32_t offset = 0;
        while (offset < batch->size() && (*batch)[offset]->ev.seq < m.from_seq)
          ++offset;
        if (offset < batch->size())
          send(m, batch, offset);
      }
    }
  }

private:
  struct group {
    event_filter_ptr filter; // null: every event
    std::vector<member> members;
  };
  struct location {
    std::string group_key;
    std::size_t index;
  };
  std::unordered_map<std::string, group> groups_; // by filter key
  std::unordered_map<caf::actor_addr, location> where_;
  metrics::held_count counted_{metrics::subscriptions}; // where_.size(), for GET /metrics
};

} // namespace sy
