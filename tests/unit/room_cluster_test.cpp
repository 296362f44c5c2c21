// A clustered room in one process: an owner room and a relay room of another "node" (a fake
// cluster actor passes the relay's link to the owner, as the owner node's cluster actor and
// directory do). Probe sessions on both see one list in one order, patches are serialized by
// the owner, and a relay that dies takes its members out of the list once.
#include <catch2/catch.hpp>

#include "room_fixture.hpp"
#include "schema/cluster.hpp"
#include "schema/room_cluster.hpp"

using namespace sy;
using namespace sy::test_room;

namespace {

// The owner node's cluster actor, as far as a relay room uses it.
cluster_actor::behavior_type link_forwarder(cluster_actor::pointer, room_actor owner) {
  return {
    [](hello_atom, const member_info&) { return std::vector<member_info>{}; },
    [](members_atom) { return std::vector<member_status>{}; },
    [](publish_atom, const publish_cmd&) { return wire_publish_result{}; },
    [](history_atom, const history_query&) { return wire_history_page{}; },
    [](follow_atom, const follow_request&) {},
    [](fetch_atom, const fetch_request&) { return follow_sync{}; },
    [](replica_atom, const std::string&) {},
    [](peer_pattern_atom, const remote_pattern&) {},
    [owner](roomlink_atom, const wire_room_link& l) {
      caf::anon_send(owner, roomlink_atom::value, l);
    },
    [](roomrep_atom, const wire_room_record& r) { return r.version; },
    [](roomfetch_atom, const std::string& room) { return wire_room_record{room}; },
    [](retry_atom, const std::string&) {},
    [](tick_atom) {},
  };
}

// Ends the test's own actors on any exit (a failed CHECK included): the actor system waits for
// every actor when the fixture goes.
struct stop_on_exit {
  std::vector<caf::actor> actors;
  ~stop_on_exit() {
    for (auto& a : actors)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
};

struct cluster_fixture : room_fixture {
  room_actor relay;
  cluster_actor owner_node;

  cluster_fixture() {
    cfg->rooms_presence_window_ms = 0;
    room = spawn_room(sys, "r", cfg, {}, {}, room_cluster_args{"A", {}, {}, {}});
    owner_node = sys.spawn(link_forwarder, room);
    relay = spawn_room(sys, "r", cfg, {}, {}, room_cluster_args{"B", owner_node, {}, {}});
  }
  ~cluster_fixture() {
    caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(owner_node, caf::exit_reason::user_shutdown);
  }
  void join_at(const room_actor& r, const std::string& tag) {
    caf::anon_send(r, join_atom::value, room_join{"r", probe_for(tag), "user-" + tag, "{}"});
  }
  void patch_at(const room_actor& r, const std::string& tag, const std::string& patch,
                std::uint64_t version) {
    caf::anon_send(r, patch_atom::value,
                   room_patch{"r", probes[tag].address(), patch, version, nullptr, {}});
  }
};

} // namespace

TEST_CASE("a relay room and its owner show one list in one order and serialize patches",
          "[unit][room][cluster]") {
  cluster_fixture f;
  f.join_at(f.room, "a");
  auto a = f.next("a");
  CHECK(ids(a.at("members")) == std::vector<std::string>{"1"});
  f.join_at(f.relay, "b"); // on the other node: the owner numbers it, the relay answers
  auto b = f.next("b");
  CHECK(b.at("op").as_string() == "joined");
  CHECK(b.at("member").as_string() == "2");
  CHECK(ids(b.at("members")) == std::vector<std::string>{"1", "2"});
  auto pa = f.next("a");
  CHECK(json::serialize(pa.at("joins").as_array()[0].at("member")) == R"("2")");
  f.join_at(f.room, "c");
  CHECK(ids(f.next("c").at("members")) == std::vector<std::string>{"1", "2", "3"});
  f.next("a");
  CHECK(json::serialize(f.next("b").at("joins").as_array()[0].at("member")) == R"("3")");

  // A member on the relay patches version 0: every member gets version 1 from it.
  f.patch_at(f.relay, "b", R"({"x":1})", 0);
  for (const char* who : {"a", "b", "c"}) {
    auto s = f.next(who);
    CHECK(s.at("op").as_string() == "state");
    CHECK(s.at("version").as_int64() == 1);
    CHECK(s.at("member").as_string() == "2");
  }
  // A stale patch on the owner's node is refused with the owner's version.
  f.patch_at(f.room, "a", R"({"y":2})", 0);
  auto err = f.next("a");
  CHECK(err.at("code").as_string() == "version_conflict");
  CHECK(err.at("version").as_int64() == 1);
  // REST through the relay node is served by the owner.
  caf::anon_send(f.relay, patch_atom::value,
                 room_patch{"r", {}, R"({"z":3})", 1, std::make_shared<rest_probe>(caf::actor{f.self}), {}});
  CHECK(f.next_text("rest") == R"({"room":"r","version":2})");
  for (const char* who : {"a", "b", "c"})
    CHECK(f.next(who).at("version").as_int64() == 2);
  caf::anon_send(f.relay, roomread_atom::value,
                 room_read{"r", std::make_shared<rest_probe>(caf::actor{f.self})});
  auto read = json::parse(f.next_text("rest")).as_object();
  CHECK(json::serialize(read.at("state")) == R"({"x":1,"z":3})");
  CHECK(ids(read.at("members")) == std::vector<std::string>{"1", "2", "3"});
  f.expect_silence(100ms);
}

TEST_CASE("the members of a relay room that dies leave the owner's list once",
          "[unit][room][cluster]") {
  cluster_fixture f;
  f.join_at(f.room, "a");
  f.next("a");
  f.join_at(f.relay, "b");
  f.next("b");
  f.next("a"); // b joined
  caf::anon_send_exit(f.relay, caf::exit_reason::kill);
  auto leave = f.next("a");
  CHECK(leave.at("op").as_string() == "presence");
  CHECK(json::serialize(leave.at("leaves")) == R"(["2"])");
  f.expect_silence(200ms); // once
  caf::anon_send(f.room, roomread_atom::value,
                 room_read{"r", std::make_shared<rest_probe>(caf::actor{f.self})});
  CHECK(ids(json::parse(f.next_text("rest")).as_object().at("members")) == std::vector<std::string>{"1"});
}

namespace {

// A relay room that holds each rstate (a patch's or metadata's replication) until the test
// releases it: the owner must not let the change take effect before the relay answered.
caf::behavior holding_relay(caf::event_based_actor* self, room_actor owner, caf::actor sink) {
  self->set_default_handler(caf::drop);
  wire_room_link l;
  l.room = "r";
  l.node = "B";
  l.relay = caf::actor_cast<room_actor>(self);
  self->send(owner, roomlink_atom::value, std::move(l));
  auto held = std::make_shared<std::vector<caf::typed_response_promise<std::uint64_t>>>();
  return {
    [=](rstate_atom, const wire_room_change& c) -> caf::result<std::uint64_t> {
      if (c.what == wire_room_change::ids)
        return std::uint64_t{0}; // a block of member ids: not held
      auto rp = self->make_response_promise<std::uint64_t>();
      held->push_back(rp);
      caf::anon_send(sink, std::string("relay"), "rstate:" + std::to_string(c.what));
      return rp;
    },
    [=](roomchg_atom, const wire_room_change& c) {
      caf::anon_send(sink, std::string("relay"), "roomchg:" + std::to_string(c.what));
    },
    [=](roomsnap_atom, const wire_room_snapshot&) {
      caf::anon_send(sink, std::string("relay"), std::string("snapshot"));
    },
    [=](caf::ok_atom) {
      for (auto& rp : *held)
        rp.deliver(std::uint64_t{0});
      held->clear();
    },
  };
}

} // namespace

TEST_CASE("a metadata change waits for the relays as a patch does", "[unit][room][cluster]") {
  room_fixture f;
  f.cfg->rooms_presence_window_ms = 0;
  f.cfg->cluster_request_timeout_ms = 10000; // the relay answers long before
  f.room = spawn_room(f.sys, "r", f.cfg, {}, {}, room_cluster_args{"A", {}, {}, {}});
  auto relay = f.sys.spawn(holding_relay, f.room, caf::actor{f.self});
  stop_on_exit stop{{relay}};
  CHECK(f.next_text("relay") == "snapshot"); // linked
  f.join("a");
  f.next("a");
  CHECK(f.next_text("relay") == "roomchg:" + std::to_string(wire_room_change::join));
  for (int kind = 0; kind < 2; ++kind) {
    INFO((kind == 0 ? "patch" : "metadata"));
    auto rest = std::make_shared<rest_probe>(caf::actor{f.self});
    if (kind == 0)
      caf::anon_send(f.room, patch_atom::value, room_patch{"r", {}, R"({"x":1})", 0, rest, {}});
    else
      caf::anon_send(f.room, metadata_atom::value, room_metadata{"r", R"({"m":1})", rest});
    auto what = kind == 0 ? wire_room_change::state : wire_room_change::metadata;
    CHECK(f.next_text("relay") == "rstate:" + std::to_string(what));
    f.expect_silence(200ms); // no REST answer, no frame for the member yet
    caf::anon_send(relay, caf::ok_atom::value);
    CHECK(f.next("a").at("op").as_string() == (kind == 0 ? "state" : "metadata"));
    CHECK(f.next_text("rest").rfind("{\"room\":\"r\"", 0) == 0);
  }
}

namespace {

// An owner room that answers a relay's link with an empty snapshot and holds each REST write
// (rcall) until the test releases it.
caf::behavior holding_owner(caf::event_based_actor* self, caf::actor sink) {
  self->set_default_handler(caf::drop);
  auto held = std::make_shared<std::vector<caf::typed_response_promise<wire_room_result>>>();
  return {
    [=](roomlink_atom, const wire_room_link& l) {
      wire_room_snapshot s;
      s.room = l.room;
      s.owner = caf::actor_cast<room_actor>(self);
      self->send(l.relay, roomsnap_atom::value, std::move(s));
    },
    [=](rcall_atom, const wire_room_call&) -> caf::result<wire_room_result> {
      auto rp = self->make_response_promise<wire_room_result>();
      held->push_back(rp);
      caf::anon_send(sink, std::string("owner"), std::string("rcall"));
      return rp;
    },
    [=](caf::ok_atom) {
      for (auto& rp : *held)
        rp.deliver(wire_room_result{0, {}, R"({"room":"r","version":1})", 1});
      held->clear();
    },
  };
}

// The directory as far as a room's retirement goes: each offer reaches the test.
caf::behavior idle_sink(caf::event_based_actor* self, caf::actor sink) {
  self->set_default_handler(caf::drop);
  return {
    [=](roomidle_atom, const std::string&, std::uint64_t handled) {
      caf::anon_send(sink, std::string("directory"), "idle:" + std::to_string(handled));
    },
  };
}

} // namespace

TEST_CASE("a relay room does not offer to retire while a REST write waits for the owner",
          "[unit][room][cluster]") {
  room_fixture f;
  f.cfg->cluster_request_timeout_ms = 10000; // the owner answers long before
  auto owner = f.sys.spawn(holding_owner, caf::actor{f.self});
  auto owner_node = f.sys.spawn(link_forwarder, caf::actor_cast<room_actor>(owner));
  auto dir = f.sys.spawn(idle_sink, caf::actor{f.self});
  stop_on_exit stop{{owner, dir, caf::actor_cast<caf::actor>(owner_node)}};
  f.room = spawn_room(f.sys, "r", f.cfg, caf::actor_cast<directory_actor>(dir), {},
                      room_cluster_args{"B", owner_node, {}, {}});
  CHECK(f.next_text("directory") == "idle:0"); // linked, nothing in use
  caf::anon_send(f.room, patch_atom::value,
                 room_patch{"r", {}, R"({"x":1})", 0, std::make_shared<rest_probe>(caf::actor{f.self}), {}});
  CHECK(f.next_text("owner") == "rcall");
  caf::anon_send(f.room, roomread_atom::value,
                 room_read{"r", std::make_shared<rest_probe>(caf::actor{f.self})});
  CHECK(json::parse(f.next_text("rest")).as_object().at("version").as_int64() == 0);
  // Retiring now would drop the write's answer (its REST client would get 503).
  f.expect_silence(200ms);
  caf::anon_send(owner, caf::ok_atom::value);
  CHECK(f.next_text("rest") == R"({"room":"r","version":1})");
  CHECK(f.next_text("directory") == "idle:2");
}
