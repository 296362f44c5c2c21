// Golden tests for Fabric's room frames (schema/dialects/fabric/room_frames.cpp): exact JSON in,
// exact JSON out.
#include <catch2/catch.hpp>

#include "schema/codes.hpp"
#include "schema/dialects/fabric/fabric.hpp"

using namespace sy;

TEST_CASE("fabric decodes join with info and since", "[codec][room]") {
  auto c = fabric::decode(R"({"op":"join","room":"doc-1","info":{"name":"Ann","n":1},"since":"abc-4"})");
  REQUIRE(c.kind == op::join);
  CHECK(c.room == "doc-1");
  CHECK(c.body_json == R"({"name":"Ann","n":1})");
  REQUIRE(c.since.size() == 1);
  CHECK(c.since[0] == std::pair<std::string, std::string>{"room.doc-1", "abc-4"});
  auto bare = fabric::decode(R"({"op":"join","room":"r"})");
  REQUIRE(bare.kind == op::join);
  CHECK(bare.body_json == "{}");
  CHECK(bare.since.empty());
}

TEST_CASE("fabric decodes leave, presence, state and room publish", "[codec][room]") {
  auto l = fabric::decode(R"({"op":"leave","room":"r"})");
  CHECK(l.kind == op::leave);
  CHECK(l.room == "r");
  auto p = fabric::decode(R"({"op":"presence","room":"r","info":{"typing":true}})");
  CHECK(p.kind == op::presence);
  CHECK(p.body_json == R"({"typing":true})");
  auto s = fabric::decode(R"({"op":"state","room":"r","patch":{"a":null,"b":{"c":1}},"version":7})");
  CHECK(s.kind == op::state);
  CHECK(s.body_json == R"({"a":null,"b":{"c":1}})");
  CHECK(s.version == 7);
  auto pub = fabric::decode(R"({"op":"publish","room":"r","type":"cursor","data":{"x":1},"volatile":true})");
  CHECK(pub.kind == op::room_publish);
  CHECK(pub.event_type == "cursor");
  CHECK(pub.body_json == R"({"x":1})");
  CHECK(pub.volatile_event);
  auto stored = fabric::decode(R"({"op":"publish","room":"r","data":"hi"})");
  CHECK(stored.kind == op::room_publish);
  CHECK(stored.event_type == "message");
  CHECK(stored.body_json == R"("hi")");
  CHECK_FALSE(stored.volatile_event);
}

TEST_CASE("fabric refuses malformed room frames with a code", "[codec][room]") {
  struct row {
    const char* in;
    std::string_view code;
  };
  const row rows[] = {
    {R"({"op":"join"})", error_code::bad_request},
    {R"({"op":"join","room":5})", error_code::bad_request},
    {R"({"op":"join","room":""})", error_code::invalid_topic},
    {R"({"op":"join","room":"a b"})", error_code::invalid_topic},
    {R"({"op":"join","room":"a*"})", error_code::invalid_topic},
    {R"({"op":"join","room":"r","info":[1]})", error_code::bad_request},
    {R"({"op":"join","room":"r","since":4})", error_code::bad_cursor},
    {R"({"op":"presence","room":"r"})", error_code::bad_request},
    {R"({"op":"state","room":"r","patch":{}})", error_code::bad_request},
    {R"({"op":"state","room":"r","patch":{},"version":-1})", error_code::bad_request},
    {R"({"op":"state","room":"r","patch":{},"version":1.5})", error_code::bad_request},
    {R"({"op":"state","room":"r","patch":[1],"version":1})", error_code::bad_request},
    {R"({"op":"publish","room":"r"})", error_code::bad_request},
    {R"({"op":"publish","room":"r","data":1,"volatile":"yes"})", error_code::bad_request},
    {R"({"op":"publish","room":"r","data":1,"type":3})", error_code::bad_request},
    {R"({"op":"publish","data":1})", error_code::bad_request},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto c = fabric::decode(r.in);
    CHECK(c.kind == op::invalid);
    CHECK(c.error_code == r.code);
  }
}

TEST_CASE("fabric encodes the room frames exactly", "[codec][room]") {
  auto m = fabric::encode_member("1", "alice", R"({"name":"Ann"})", 1705312800000);
  CHECK(m == R"({"member":"1","user":"alice","info":{"name":"Ann"},"joinedAt":"2024-01-15T10:00:00.000Z"})");
  CHECK(fabric::encode_joined("r", "1", "[" + m + "]", R"({"title":"T"})", R"({"a":1})", 3)
        == R"({"op":"joined","room":"r","member":"1","members":[)" + m
             + R"(],"metadata":{"title":"T"},"state":{"a":1},"version":3})");
  CHECK(fabric::encode_presence("r", "[" + m + "]", R"(["2"])", R"([{"member":"3","info":{}}])")
        == R"({"op":"presence","room":"r","joins":[)" + m
             + R"(],"leaves":["2"],"updates":[{"member":"3","info":{}}]})");
  CHECK(fabric::encode_state("r", R"({"a":null})", 4, "2")
        == R"({"op":"state","room":"r","patch":{"a":null},"version":4,"member":"2"})");
  CHECK(fabric::encode_state("r", R"({"a":1})", 5, "")
        == R"({"op":"state","room":"r","patch":{"a":1},"version":5,"member":null})");
  CHECK(fabric::encode_metadata("r", R"({"title":"T"})")
        == R"({"op":"metadata","room":"r","metadata":{"title":"T"}})");
  CHECK(fabric::encode_left("r") == R"({"op":"left","room":"r"})");
  CHECK(fabric::encode_volatile_event("r", 1705312800000, "cursor", R"({"x":1})", "2", "bob")
        == R"({"op":"event","topic":"room.r","channel":"room.r","timestamp":"2024-01-15T10:00:00.000Z","type":"cursor","data":{"x":1},"metadata":{"member":"2","user":"bob"},"volatile":true})");
  CHECK(fabric::encode_version_conflict("r", 9)
        == R"({"op":"error","code":"version_conflict","room":"r","version":9})");
  CHECK(fabric::encode_room_error("room_full", "full", "r")
        == R"({"op":"error","code":"room_full","room":"r","message":"full"})");
}
