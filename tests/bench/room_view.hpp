#pragma once
// One member's view of a room's member list, rebuilt from the frames it got (PROTOCOL.md
// "Rooms"): the `joined` snapshot, then every `presence` diff in order. Pure: no sockets.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sy::bench {

// Member ids ("17") as dense numbers: 2,000 views of 2,000 members stay a few MB.
class member_ids {
public:
  uint32_t intern(std::string_view id);
  std::size_t size() const { return names_.size(); }

private:
  static constexpr uint32_t no_id = UINT32_MAX;
  std::vector<uint32_t> by_number_;  // decimal ids (the usual case) → dense id
  std::unordered_map<std::string, uint32_t> index_;  // any other id
  std::vector<std::string> names_;
};

struct room_view {
  std::vector<uint32_t> order;   // the member list, in the order the frames gave it
  std::vector<uint8_t> present;  // by interned id
  uint64_t duplicate_joins = 0;  // a join of a member already listed (announced twice)
  uint64_t unknown_leaves = 0;   // a leave of a member not listed

  void join(uint32_t id);
  void leave(uint32_t id);
};

// A `joined` frame: *self = this connection's member id, every entry of "members" joins v in
// order. False when the frame does not have that shape.
bool apply_joined(std::string_view frame, member_ids& ids, room_view& v, uint32_t& self);

// A `presence` frame: "joins" appended in order, then "leaves" removed ("updates" change no
// membership). The lists name disjoint members, so that order is the server's too. Adds the
// entries seen to *joins / *leaves. False when the frame does not have that shape.
bool apply_presence(std::string_view frame, member_ids& ids, room_view& v, uint64_t& joins,
                    uint64_t& leaves);

} // namespace sy::bench
