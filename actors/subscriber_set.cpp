#include "actors/subscriber_set.hpp"

#include <boost/json/parse.hpp>

namespace sy {

const boost::json::value* data_cache::get(std::size_t i) {
  if (parsed_.empty()) {
    parsed_.resize(events_.size());
    done_.assign(events_.size(), false);
  }
  if (!done_[i]) {
    done_[i] = true;
    boost::system::error_code ec;
    parsed_[i] = boost::json::parse(events_[i]->ev.data_json, ec); // stored JSON: parses
  }
  return &parsed_[i];
}

void subscriber_set::add(const sub_request& req, std::uint64_t from_seq) {
  remove(req.session.address());
  auto key = req.filter ? sy::key(*req.filter) : std::string();
  auto& g = groups_[key];
  if (g.members.empty())
    g.filter = req.filter;
  where_[req.session.address()] = {key, g.members.size()};
  g.members.push_back({req.session, req.sub_id, from_seq});
  counted_.up();
}

bool subscriber_set::remove(const caf::actor_addr& who) {
  auto it = where_.find(who);
  if (it == where_.end())
    return false;
  auto loc = it->second;
  where_.erase(it);
  counted_.down();
  auto g = groups_.find(loc.group_key);
  auto& members = g->second.members;
  if (loc.index + 1 != members.size()) { // swap-remove, fix the moved member's index
    members[loc.index] = std::move(members.back());
    where_[members[loc.index].session.address()].index = loc.index;
  }
  members.pop_back();
  if (members.empty())
    groups_.erase(g);
  return true;
}

bool subscriber_set::remove(const caf::actor_addr& who, std::uint32_t sub_id) {
  auto it = where_.find(who);
  if (it == where_.end())
    return false;
  const auto& g = groups_.at(it->second.group_key);
  if (g.members[it->second.index].sub_id != sub_id)
    return false;
  return remove(who);
}

} // namespace sy
