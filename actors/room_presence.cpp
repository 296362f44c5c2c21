#include "actors/room_presence.hpp"

#include <unordered_map>

#include "schema/dialects/fabric/fabric.hpp"
#include "schema/json_text.hpp"

namespace sy {

presence_diff compact_presence(const std::vector<presence_change>& changes, std::size_t from) {
  using kind = presence_change::kind;
  // Index into `joins` / `updates` by member id: a join storm is one window of many changes.
  std::vector<const presence_change*> joins;
  std::vector<std::string> join_info;
  std::unordered_map<std::string, std::size_t> join_at;
  std::vector<std::string> leaves;
  std::vector<std::pair<std::string, std::string>> updates;
  std::unordered_map<std::string, std::size_t> update_at;
  for (std::size_t i = from; i < changes.size(); ++i) {
    const auto& c = changes[i];
    switch (c.what) {
      case kind::join:
        join_at[c.member] = joins.size();
        joins.push_back(&c);
        join_info.push_back(c.info);
        break;
      case kind::update:
        if (auto j = join_at.find(c.member); j != join_at.end()) {
          join_info[j->second] = c.info;
        } else if (auto u = update_at.find(c.member); u != update_at.end()) {
          updates[u->second].second = c.info;
        } else {
          update_at[c.member] = updates.size();
          updates.emplace_back(c.member, c.info);
        }
        break;
      case kind::leave:
        if (auto j = join_at.find(c.member); j != join_at.end()) {
          joins[j->second] = nullptr; // joined and left inside the window: nothing to say
          join_at.erase(j);
          break;
        }
        if (auto u = update_at.find(c.member); u != update_at.end()) {
          updates[u->second].first.clear();
          update_at.erase(u);
        }
        leaves.push_back(c.member);
        break;
    }
  }
  presence_diff d;
  std::string out = "[";
  for (std::size_t i = 0; i < joins.size(); ++i) {
    if (!joins[i])
      continue;
    if (out.size() > 1)
      out += ',';
    out += fabric::encode_member(joins[i]->member, joins[i]->user, join_info[i],
                                 joins[i]->joined_ms);
  }
  d.joins = out + "]";
  out = "[";
  for (const auto& id : leaves) {
    if (out.size() > 1)
      out += ',';
    append_json_string(out, id);
  }
  d.leaves = out + "]";
  out = "[";
  for (const auto& [id, info] : updates) {
    if (id.empty())
      continue;
    if (out.size() > 1)
      out += ',';
    out += "{\"member\":";
    append_json_string(out, id);
    out += ",\"info\":";
    out += info;
    out += '}';
  }
  d.updates = out + "]";
  d.empty = d.joins == "[]" && d.leaves == "[]" && d.updates == "[]";
  return d;
}

} // namespace sy
