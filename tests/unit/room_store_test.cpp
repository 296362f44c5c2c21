// Rooms with the durable store: the room record's codec and key, the RocksDB wrapper, and the
// room actor on a real store actor (reload in a new incarnation, a refused write, joins held
// while the record loads).
#include <catch2/catch.hpp>

#include "actors/history_store_actor.hpp"
#include "actors/store_codec.hpp"
#include "room_fixture.hpp"
#include "store_fixture.hpp"

using namespace sy;
using namespace sy::test_room;
using namespace sy::test_store;
namespace codec = sy::store_codec;

namespace {

struct stored_room_fixture : room_fixture {
  temp_dir tmp;
  std::shared_ptr<full_disk_fs> fs = std::make_shared<full_disk_fs>();
  store_actor store;

  stored_room_fixture() {
    store_options o;
    o.cache_bytes = 8u << 20;
    o.env = env_on(fs);
    auto db = open_store(tmp.sub("db"), o);
    INFO(db.error().message);
    REQUIRE(db);
    store = spawn_history_store(sys, std::shared_ptr<rocksdb_store>(std::move(*db)));
  }
  ~stored_room_fixture() {
    caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
    self->wait_for(room);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    self->wait_for(store);
  }
  room_completion rest() {
    return std::make_shared<rest_probe>(caf::actor{self});
  }
  void rest_patch(const std::string& patch, std::uint64_t version) {
    caf::anon_send(room, patch_atom::value, room_patch{"r", {}, patch, version, rest(), {}});
  }
  void member_patch(const std::string& tag, const std::string& patch, std::uint64_t version) {
    caf::anon_send(room, patch_atom::value,
                   room_patch{"r", probes[tag].address(), patch, version, nullptr, {}});
  }
  // A new incarnation of the room on the same store (the old one quits first).
  void restart_room() {
    caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
    self->wait_for(room);
    start(store);
  }
};

// A store whose room load is answered 300 ms late with version 3 (joins must wait for it).
struct held_load {
  caf::typed_response_promise<store_room> promise; // touched by the store actor only
};

store_actor::behavior_type held_store(store_actor::pointer self, std::shared_ptr<held_load> h) {
  auto none = [](auto&&...) { return store_written{}; };
  return {
    [=](st_append_atom, const store_append&) { return none(); },
    [=](st_trim_atom, const store_trim&) { return none(); },
    [=](st_drop_atom, const store_drop&) { return none(); },
    [](st_read_atom, const store_read&) { return store_page{}; },
    [](st_load_atom, const store_load&) { return store_channel_state{}; },
    [](st_ckpt_atom, const store_checkpoint& c) { return store_checkpointed{c.dir}; },
    [](st_stats_atom) { return store_stats{}; },
    [=](st_room_atom, const store_room_write&) { return none(); },
    [self, h](st_roomld_atom, const store_room_load&) -> caf::result<store_room> {
      h->promise = self->make_response_promise<store_room>();
      self->delayed_send(self, 300ms, st_flush_atom::value);
      return h->promise;
    },
    [h](st_flush_atom) { h->promise.deliver(store_room{true, 3, R"({"k":"v"})", R"({"m":1})"}); },
  };
}

} // namespace

TEST_CASE("room store record round-trips and a damaged one is refused", "[unit][room][store]") {
  store_room r{true, 42, R"({"doc":{"title":"caf\u00e9"},"n":[1,2]})", R"({"owner":"ops"})", 1025};
  auto value = codec::room_value(r);
  store_room back;
  REQUIRE(codec::parse_room_value(value, back));
  CHECK(back.found);
  CHECK(back.version == 42);
  CHECK(back.state_json == r.state_json);
  CHECK(back.metadata_json == r.metadata_json);
  CHECK(back.id_floor == 1025);
  CHECK_FALSE(codec::parse_room_value(value.substr(0, value.size() - 1), back));
  CHECK_FALSE(codec::parse_room_value(value + "x", back));
  CHECK_FALSE(codec::parse_room_value("", back));
  auto wrong_version = value;
  wrong_version[0] = 9;
  CHECK_FALSE(codec::parse_room_value(wrong_version, back));
  // Its own key family: none of the channel room.r's keys starts with it.
  auto key = codec::room_key("r");
  CHECK(key == "rr");
  // A record written before member ids were reserved (no floor) reads with floor 0.
  store_room old{true, 7, "{}", "{}", 0};
  auto old_value = codec::room_value(old);
  old_value.pop_back(); // the floor, one byte
  store_room old_back;
  REQUIRE(codec::parse_room_value(old_value, old_back));
  CHECK((old_back.version == 7 && old_back.id_floor == 0));
  for (const auto& k : {codec::meta_key("room.r"), codec::event_prefix("room.r"),
                        codec::receipt_prefix("room.r")})
    CHECK(k.rfind(key, 0) != 0);
}

TEST_CASE("rocksdb store keeps a room record and a channel drop leaves it", "[unit][room][store]") {
  temp_dir tmp;
  {
    auto db = open_store(tmp.sub("db"), store_options{});
    REQUIRE(db);
    auto none = (*db)->load_room("r");
    REQUIRE(none);
    CHECK_FALSE(none->found);
    (*db)->stage_room("r", store_room{true, 3, R"({"a":1})", R"({"m":true})"});
    (*db)->stage_drop("room.r"); // a new epoch of the room's channel
    REQUIRE((*db)->commit());
  }
  auto db = open_store(tmp.sub("db"), store_options{});
  REQUIRE(db);
  auto r = (*db)->load_room("r");
  REQUIRE(r);
  CHECK(r->found);
  CHECK(r->version == 3);
  CHECK(r->state_json == R"({"a":1})");
  CHECK(r->metadata_json == R"({"m":true})");
  CHECK_FALSE((*db)->load_room("other")->found);
}

TEST_CASE("a room with a store loads its version state and metadata in a new incarnation",
          "[unit][room][store]") {
  stored_room_fixture f;
  f.cfg->rooms_presence_window_ms = 0;
  f.start(f.store);
  f.join("a");
  CHECK(f.next("a").at("version").as_int64() == 0);
  f.member_patch("a", R"({"title":"one"})", 0);
  CHECK(f.next("a").at("version").as_int64() == 1);
  f.rest_patch(R"({"n":2})", 1);
  CHECK(f.next_text("rest") == R"({"room":"r","version":2})");
  CHECK(f.next("a").at("version").as_int64() == 2);
  caf::anon_send(f.room, metadata_atom::value, room_metadata{"r", R"({"owner":"ops"})", f.rest()});
  CHECK(f.next_text("rest") == R"({"room":"r","metadata":{"owner":"ops"}})");
  CHECK(f.next("a").at("op").as_string() == "metadata");

  f.restart_room();
  f.join("b");
  auto b = f.next("b");
  CHECK(b.at("version").as_int64() == 2);
  CHECK(json::serialize(b.at("state")) == R"({"title":"one","n":2})");
  CHECK(json::serialize(b.at("metadata")) == R"({"owner":"ops"})");
  // Presence is not stored, but member ids never come again: the first incarnation reserved
  // ids 1-1024 (stored), so this one starts at 1025.
  CHECK(ids(b.at("members")) == std::vector<std::string>{"1025"});
  // Patches go on from the stored version.
  f.rest_patch(R"({"n":3})", 2);
  CHECK(f.next_text("rest") == R"({"room":"r","version":3})");
}

TEST_CASE("a room whose store cannot write refuses the change and keeps its version",
          "[unit][room][store]") {
  stored_room_fixture f;
  f.cfg->rooms_presence_window_ms = 0;
  f.start(f.store);
  f.join("a");
  f.next("a");
  f.member_patch("a", R"({"v":1})", 0);
  CHECK(f.next("a").at("version").as_int64() == 1);

  *f.fs->full = true;
  f.member_patch("a", R"({"v":2})", 1);
  auto err = f.next("a");
  CHECK(err.at("op").as_string() == "error");
  CHECK(err.at("code").as_string() == "insufficient_storage");
  f.rest_patch(R"({"v":2})", 1);
  CHECK(f.next_text("rest") == "error:insufficient_storage");
  caf::anon_send(f.room, metadata_atom::value, room_metadata{"r", R"({"x":1})", f.rest()});
  CHECK(f.next_text("rest") == "fail:insufficient_storage");
  f.expect_silence(); // no state or metadata frame reached the member

  *f.fs->full = false;
  f.rest_patch(R"({"v":2})", 1); // version 1 is still current
  CHECK(f.next_text("rest") == R"({"room":"r","version":2})");
  auto st = f.next("a");
  CHECK(st.at("version").as_int64() == 2);
  caf::anon_send(f.room, roomread_atom::value, room_read{"r", f.rest()});
  auto read = json::parse(f.next_text("rest")).as_object();
  CHECK(json::serialize(read.at("metadata")) == "{}");
  CHECK(json::serialize(read.at("state")) == R"({"v":2})");
}

TEST_CASE("joins that arrive while a room loads wait for its stored version",
          "[unit][room][store]") {
  room_fixture f;
  f.cfg->rooms_presence_window_ms = 0;
  auto h = std::make_shared<held_load>();
  auto store = f.sys.spawn(held_store, h);
  f.start(store);
  f.join("a");
  caf::anon_send(f.room, roomread_atom::value,
                 room_read{"r", std::make_shared<rest_probe>(caf::actor{f.self})});
  f.expect_silence(100ms); // no snapshot at version 0 before the load is answered
  auto a = f.next("a");
  CHECK(a.at("op").as_string() == "joined");
  CHECK(a.at("version").as_int64() == 3);
  CHECK(json::serialize(a.at("state")) == R"({"k":"v"})");
  auto read = json::parse(f.next_text("rest")).as_object();
  CHECK(read.at("version").as_int64() == 3);
  CHECK(ids(read.at("members")) == std::vector<std::string>{"1"});
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}
