#pragma once
// The subscribers of one channel or one wildcard pattern, grouped by filter so that equal
// filters are evaluated once per event. Owned by a single actor; no locking.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "schema/messages.hpp"

namespace sy {

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
    for (const auto& [key, g] : groups_) {
      event_batch batch = all;
      if (!g.filter.empty()) {
        std::vector<event_ptr> kept;
        for (const auto& ev : *all)
          if (g.filter.matches(ev->ev.metadata))
            kept.push_back(ev);
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
    scope_filter filter;
    std::vector<member> members;
  };
  struct location {
    std::string group_key;
    std::size_t index;
  };
  std::unordered_map<std::string, group> groups_; // by filter key
  std::unordered_map<caf::actor_addr, location> where_;
};

} // namespace sy
