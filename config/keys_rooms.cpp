// The key table's rows for rooms (PROTOCOL.md "Rooms").
#include "config/key_rows.hpp"

namespace sy::key_rows {

std::vector<config_key> rooms_keys() {
  std::vector<config_key> t;
  t.push_back(uint_key("rooms.max_members", {}, &config::rooms_max_members)
                .describe("members of one room: a join above gets room_full")
                .at_least(1));
  t.push_back(uint_key("rooms.max_state_bytes", {}, &config::rooms_max_state_bytes)
                .describe("a room's state document after a patch: state_too_large above")
                .at_least(2));
  t.push_back(uint_key("rooms.max_info_bytes", {}, &config::rooms_max_info_bytes)
                .describe("one member's info object: info_too_large above")
                .at_least(2));
  t.push_back(int_key("rooms.presence_window_ms", {}, &config::rooms_presence_window_ms)
                .describe("presence diffs are batched this long into one frame per member; 0 = "
                          "as soon as the room is idle"));
  return t;
}

} // namespace sy::key_rows
