// The room actor (actors/room.cpp) driven directly: probe sessions (room_fixture.hpp) stand in
// for connections.
#include <catch2/catch.hpp>

#include "actors/room_presence.hpp"
#include "room_fixture.hpp"

using namespace sy;
using namespace sy::test_room;

TEST_CASE("room join answers a snapshot and batches presence diffs per window", "[unit][room]") {
  room_fixture f;
  f.cfg->rooms_presence_window_ms = 150;
  f.start();
  f.join("a", R"({"name":"A"})");
  auto a = f.next("a");
  CHECK(json::serialize(a.at("op")) == R"("joined")");
  CHECK(a.at("member").as_string() == "1");
  CHECK(ids(a.at("members")) == std::vector<std::string>{"1"});
  CHECK(json::serialize(a.at("members").as_array()[0].as_object().at("info")) == R"({"name":"A"})");
  CHECK(a.at("members").as_array()[0].as_object().at("user").as_string() == "user-a");
  CHECK(json::serialize(a.at("state")) == "{}");
  CHECK(json::serialize(a.at("metadata")) == "{}");
  CHECK(a.at("version").as_int64() == 0);
  f.join("b");
  f.join("c");
  CHECK(ids(f.next("b").at("members")) == std::vector<std::string>{"1", "2"});
  CHECK(ids(f.next("c").at("members")) == std::vector<std::string>{"1", "2", "3"});
  // One frame per member for the whole window, with only what its snapshot did not show.
  std::map<std::string, json::object> diffs;
  diffs["a"] = f.next("a");
  diffs["b"] = f.next("b");
  CHECK(ids(diffs["a"].at("joins")) == std::vector<std::string>{"2", "3"});
  CHECK(ids(diffs["b"].at("joins")) == std::vector<std::string>{"3"});
  CHECK(diffs["a"].at("leaves").as_array().empty());
  f.expect_silence(); // c saw everything in its snapshot

  // Leave and info update in one window: one frame.
  caf::anon_send(f.room, presence_atom::value, f.probes["b"].address(), std::string(R"({"t":1})"));
  caf::anon_send(f.room, leave_atom::value, f.probes["c"].address());
  auto pa = f.next("a");
  auto pb = f.next("b");
  CHECK(json::serialize(pa) == json::serialize(pb));
  CHECK(json::serialize(pa.at("leaves")) == R"(["3"])");
  CHECK(json::serialize(pa.at("updates")) == R"([{"member":"2","info":{"t":1}}])");
  f.expect_silence();
}

TEST_CASE("room member that joins and leaves inside one window is never announced", "[unit][room]") {
  room_fixture f;
  f.cfg->rooms_presence_window_ms = 150;
  f.start();
  f.join("a");
  f.next("a");
  f.expect_silence(250ms); // a's own join: nothing to tell anyone
  f.join("b");
  f.next("b");
  caf::anon_send(f.room, leave_atom::value, f.probes["b"].address());
  f.expect_silence(300ms);
}

TEST_CASE("room state patches are versioned and broadcast to every member", "[unit][room]") {
  room_fixture f;
  f.cfg->rooms_presence_window_ms = 0;
  f.start();
  f.join("a");
  f.next("a");
  f.join("b");
  f.next("b");
  f.next("a"); // presence: b joined
  room_patch p{"r", f.probes["a"].address(), R"({"title":"x","n":{"k":1}})", 0, nullptr, {}};
  caf::anon_send(f.room, patch_atom::value, p);
  auto sa = f.next_text("a");
  auto sb = f.next_text("b");
  CHECK(sa == R"({"op":"state","room":"r","patch":{"title":"x","n":{"k":1}},"version":1,"member":"1"})");
  CHECK(sb == sa);
  // A stale version: only the sender hears about it, with the current version.
  room_patch stale{"r", f.probes["b"].address(), R"({"title":"y"})", 0, nullptr, {}};
  caf::anon_send(f.room, patch_atom::value, stale);
  CHECK(f.next_text("b") == R"({"op":"error","code":"version_conflict","room":"r","version":1})");
  f.expect_silence();
  room_patch next{"r", f.probes["b"].address(), R"({"n":{"k":null},"title":null})", 1, nullptr, {}};
  caf::anon_send(f.room, patch_atom::value, next);
  f.next("a");
  f.next("b");
  // A later joiner sees the merged state at its version.
  f.join("c");
  auto c = f.next("c");
  CHECK(json::serialize(c.at("state")) == R"({"n":{}})");
  CHECK(c.at("version").as_int64() == 2);
}

TEST_CASE("room limits refuse with room_full info_too_large and state_too_large", "[unit][room]") {
  room_fixture f;
  f.cfg->rooms_max_members = 2;
  f.cfg->rooms_max_info_bytes = 16;
  f.cfg->rooms_max_state_bytes = 24;
  f.cfg->rooms_presence_window_ms = 0;
  f.start();
  f.join("a", R"({"long":"more than sixteen"})");
  CHECK(f.next_text("a") == "error:info_too_large");
  f.join("a");
  f.next("a");
  f.join("b");
  f.next("b");
  f.next("a"); // presence
  f.join("c");
  CHECK(f.next_text("c") == "error:room_full");
  caf::anon_send(f.room, presence_atom::value, f.probes["a"].address(),
                 std::string(R"({"long":"more than sixteen"})"));
  CHECK(f.next("a").at("code").as_string() == "info_too_large");
  room_patch big{"r", f.probes["a"].address(), R"({"k":"0123456789012345678901234"})", 0, nullptr, {}};
  caf::anon_send(f.room, patch_atom::value, big);
  CHECK(f.next("a").at("code").as_string() == "state_too_large");
  f.expect_silence(); // nothing applied, nothing broadcast
}

TEST_CASE("room presence compaction folds updates and drops join-then-leave", "[unit][room]") {
  using k = presence_change::kind;
  std::vector<presence_change> c{
    {k::join, "1", "u", "{}", 0},
    {k::update, "1", {}, R"({"a":1})", 0},
    {k::join, "2", "u", "{}", 0},
    {k::update, "5", {}, R"({"b":1})", 0},
    {k::leave, "2", {}, {}, 0},
    {k::update, "6", {}, R"({"c":1})", 0},
    {k::leave, "6", {}, {}, 0},
  };
  auto d = compact_presence(c, 0);
  CHECK(d.joins == R"([{"member":"1","user":"u","info":{"a":1},"joinedAt":"1970-01-01T00:00:00.000Z"}])");
  CHECK(d.leaves == R"(["6"])");
  CHECK(d.updates == R"([{"member":"5","info":{"b":1}}])");
  CHECK_FALSE(d.empty);
  auto tail = compact_presence(c, 5);
  CHECK(tail.joins == "[]");
  CHECK(tail.leaves == R"(["6"])");
  CHECK(tail.updates == "[]");
  CHECK(compact_presence(c, 7).empty);
}
