#pragma once
// Helpers of the room tests: members with the room rights, join, frames by op, member ids.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace sy::test {

inline const std::string room_writer_claims = R"("publish":["room.*"])";

inline ws_client connect_member(const daemon_process& d, const std::string& sub,
                                bool may_publish = true) {
  ws_client c;
  auto token = token_for(sub, 3600, may_publish ? room_writer_claims : "");
  int status = c.connect(d.port(), "/realtime?token=" + token);
  INFO("upgrade refused: " << c.last_error() << " body=" << c.refusal_body());
  REQUIRE(status == 101);
  return c;
}

/// Sends join and REQUIREs `joined` followed by the `subscribed` of room.<room>.
inline json::object join(ws_client& c, const std::string& room, const std::string& extra = "") {
  REQUIRE(c.send_text(R"({"op":"join","room":")" + room + "\"" + extra + "}"));
  auto joined = next_object(c);
  INFO("joined: " << to_text(joined));
  REQUIRE(field_s(joined, "op") == "joined");
  CHECK(keys_of(joined) == keys({"op", "room", "member", "members", "metadata", "state", "version"}));
  auto sub = next_object(c);
  INFO("subscribed: " << to_text(sub));
  REQUIRE(field_s(sub, "op") == "subscribed");
  CHECK(field_s(sub, "topic") == "room." + room);
  return joined;
}

/// The next frame with op `op`, skipping presence frames (bounded).
inline json::object next_op(ws_client& c, const std::string& op) {
  for (int i = 0; i < 20; ++i) {
    auto o = next_object(c);
    if (field_s(o, "op") == op)
      return o;
    INFO("skipped: " << to_text(o));
    REQUIRE(field_s(o, "op") == "presence");
  }
  FAIL("no " << op << " frame");
  return {};
}

inline std::vector<std::string> member_ids(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& m : v.as_array())
    out.emplace_back(m.is_string() ? m.as_string() : m.as_object().at("member").as_string());
  return out;
}

} // namespace sy::test
