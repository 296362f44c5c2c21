// A clustered room whose owner dies (CLUSTER.md "Rooms"): three real processes on the durable
// store, each with its own data directory (or in memory), cluster.replicas = 1. The owner
// replicates the room's record (version, state, metadata, the member ids it may have given) to
// the replica node of room.R before it acknowledges a change, so a new owner never goes back to
// an older version and never gives a member id again. Loopback only; every wait is bounded.
#include "durable_node.hpp"
#include "fixture.hpp"
#include "rooms_support.hpp"

#include <catch2/catch.hpp>


#include <memory>
#include <set>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

std::size_t up_count(const durable_node& n) {
  std::size_t up = 0;
  auto l = cluster_listing(n);
  for (const auto& m : l.at("members").as_array())
    up += m.as_object().at("state") == "up" ? 1 : 0;
  return up;
}

struct durable_trio {
  durable_node n[3];
  explicit durable_trio(bool durable = true) {
    for (auto& node : n) {
      node.durable = durable;
      node.extra = {"--set", "cluster.replicas=1"};
    }
    n[0].start("");
    n[1].start(n[0].id());
    n[2].start(n[1].id());
    wait_up(3, {0, 1, 2});
  }
  void wait_up(std::size_t count, std::vector<int> which) {
    auto deadline = steady::now() + 15s;
    while (true) {
      bool all = true;
      for (int i : which)
        all = all && up_count(n[i]) == count;
      if (all)
        return;
      REQUIRE(steady::now() < deadline);
      std::this_thread::sleep_for(100ms);
    }
  }
  int index_of(const std::string& id) const {
    for (int i = 0; i < 3; ++i)
      if (n[i].id() == id)
        return i;
    FAIL("no node " << id);
    return 0;
  }
  int owner_of(const std::string& room) {
    return index_of(field_s(cluster_listing(n[0], "?channel=room." + room), "owner"));
  }
  // The owner dies: the survivors drop it from their view (bounded).
  std::vector<int> kill_owner(int owner) {
    n[owner].kill9();
    std::vector<int> rest;
    for (int i = 0; i < 3; ++i)
      if (i != owner)
        rest.push_back(i);
    wait_up(2, rest);
    return rest;
  }
};

http_response room_call(const durable_node& n, const std::string& method, const std::string& path,
                        const std::string& body = "") {
  http_client h(n.d->port(), 10s);
  return h.request(method, "/v1/rooms/" + path, body, api_key_auth());
}

// GET /v1/rooms/{R} on `n`, retried while the node still links to the dead owner (bounded).
json::object read_after_failover(const durable_node& n, const std::string& room,
                                 std::int64_t version) {
  auto deadline = steady::now() + 10s;
  json::object o;
  while (steady::now() < deadline) {
    auto r = room_call(n, "GET", room);
    if (r.status == 200) {
      o = parse_json(r.body).as_object();
      if (field_i(o, "version") >= version)
        return o;
    }
    std::this_thread::sleep_for(100ms);
  }
  return o;
}

} // namespace

TEST_CASE("cluster rooms: the state of a room whose members were all on the owner survives its kill -9",
          "[integration][rooms][cluster][durable]") {
  durable_trio t;
  const std::string room = "doc";
  int owner = t.owner_of(room);
  auto member = connect_member(*t.n[owner].d, "ann");
  join(member, room);
  auto md = room_call(t.n[owner], "PUT", room + "/metadata", R"({"title":"T"})");
  REQUIRE(md.status == 200);
  const char* patches[] = {R"({"a":1})", R"({"b":2})", R"({"c":3})"};
  auto t0 = steady::now();
  for (int v = 0; v < 3; ++v) {
    auto r = room_call(t.n[owner], "PATCH", room + "/state",
                       std::string(R"({"patch":)") + patches[v] + R"(,"version":)"
                         + std::to_string(v) + "}");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(field_i(parse_json(r.body).as_object(), "version") == v + 1);
  }
  auto took = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t0);
  WARN("a REST patch acknowledged after the owner's store and the replica node's: "
       << took.count() / 3 << " us each (3 in a row, new connection each)");
  auto rest = t.kill_owner(owner);
  for (int s : rest) {
    INFO("survivor " << t.n[s].id());
    auto o = read_after_failover(t.n[s], room, 3);
    CHECK(field_i(o, "version") == 3);
    CHECK(to_text(o["state"]) == R"({"a":1,"b":2,"c":3})");
    CHECK(to_text(o["metadata"]) == R"({"title":"T"})");
  }
  auto next = room_call(t.n[rest[0]], "PATCH", room + "/state",
                        R"({"patch":{"d":4},"version":3})");
  INFO(next.body);
  CHECK(next.status == 200);
  CHECK(field_i(parse_json(next.body).as_object(), "version") == 4);
  CHECK(field_i(read_after_failover(t.n[rest[1]], room, 4), "version") == 4);
}

TEST_CASE("cluster rooms: member ids are not given again after the owner's kill -9",
          "[integration][rooms][cluster][durable]") {
  durable_trio t;
  const std::string room = "ids";
  int owner = t.owner_of(room);
  std::set<std::string> seen;
  auto ann = connect_member(*t.n[owner].d, "ann");
  seen.insert(field_s(join(ann, room), "member"));
  {
    auto bob = connect_member(*t.n[owner].d, "bob");
    seen.insert(field_s(join(bob, room), "member")); // and leaves at once (closed)
  }
  REQUIRE(seen.size() == 2);
  auto rest = t.kill_owner(owner);
  std::set<std::string> after;
  std::vector<ws_client> keep;
  for (int s : rest) {
    keep.push_back(connect_member(*t.n[s].d, "dan" + std::to_string(s)));
    auto id = field_s(join(keep.back(), room), "member");
    INFO("new member " << id << " on " << t.n[s].id());
    CHECK(seen.count(id) == 0);
    CHECK(after.insert(id).second);
  }
}

TEST_CASE("cluster rooms without a store: the state and the ids of a room survive its owner's kill -9",
          "[integration][rooms][cluster]") {
  durable_trio t(false); // storage.engine = memory: the replica node keeps the record in memory
  const std::string room = "mem";
  int owner = t.owner_of(room);
  auto ann = connect_member(*t.n[owner].d, "ann");
  std::set<std::string> seen{field_s(join(ann, room), "member")};
  REQUIRE(room_call(t.n[owner], "PUT", room + "/metadata", R"({"m":1})").status == 200);
  REQUIRE(room_call(t.n[owner], "PATCH", room + "/state", R"({"patch":{"a":1},"version":0})")
            .status == 200);
  REQUIRE(room_call(t.n[owner], "PATCH", room + "/state", R"({"patch":{"b":2},"version":1})")
            .status == 200);
  auto rest = t.kill_owner(owner);
  for (int s : rest) {
    INFO("survivor " << t.n[s].id());
    auto o = read_after_failover(t.n[s], room, 2);
    CHECK(field_i(o, "version") == 2);
    CHECK(to_text(o["state"]) == R"({"a":1,"b":2})");
    CHECK(to_text(o["metadata"]) == R"({"m":1})");
  }
  auto dan = connect_member(*t.n[rest[0]].d, "dan");
  auto id = field_s(join(dan, room), "member");
  CHECK(seen.count(id) == 0);
}

TEST_CASE("cluster rooms: an owner back from kill -9 takes the version patched while it was away",
          "[integration][rooms][cluster][durable]") {
  durable_trio t;
  const std::string room = "back";
  int owner = t.owner_of(room);
  REQUIRE(room_call(t.n[owner], "PATCH", room + "/state", R"({"patch":{"a":1},"version":0})")
            .status == 200);
  auto rest = t.kill_owner(owner);
  // The next owner serves version 1 and takes version 2; no member anywhere, so no room of R
  // stays live: the version is on the survivors' stores only.
  REQUIRE(field_i(read_after_failover(t.n[rest[0]], room, 1), "version") == 1);
  auto r = room_call(t.n[rest[0]], "PATCH", room + "/state", R"({"patch":{"b":2},"version":1})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  // The old owner comes back on its own data directory and wins room.R again.
  t.n[owner].start(t.n[rest[0]].id());
  t.wait_up(3, {0, 1, 2});
  REQUIRE(t.owner_of(room) == owner);
  auto o = read_after_failover(t.n[owner], room, 2);
  CHECK(field_i(o, "version") == 2);
  CHECK(to_text(o["state"]) == R"({"a":1,"b":2})");
  auto next = room_call(t.n[owner], "PATCH", room + "/state", R"({"patch":{"c":3},"version":2})");
  INFO(next.body);
  CHECK(next.status == 200);
}
