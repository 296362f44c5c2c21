#pragma once
// A room's presence changes since its last flush, and the diff frame members get for them.
// Members that joined inside the window saw part of it in their snapshot already: each gets the
// diff of the changes after its own join only, so nobody sees a member join twice.
#include <cstdint>
#include <string>
#include <vector>

namespace sy {

struct presence_change {
  enum class kind : std::uint8_t { join, leave, update } what;
  std::string member;
  std::string user;      // join
  std::string info;      // join, update: the JSON object text
  std::int64_t joined_ms = 0; // join
};

/// The net effect of changes[from..]: a member that joined and left inside it never appears,
/// an update of a member that joined inside it is folded into the join, a member that left
/// has no update. The three lists name disjoint members, so their order does not matter.
struct presence_diff {
  std::string joins = "[]";   // members, in join order
  std::string leaves = "[]";  // member ids
  std::string updates = "[]"; // {"member","info"}
  bool empty = true;
};

presence_diff compact_presence(const std::vector<presence_change>& changes, std::size_t from);

} // namespace sy
