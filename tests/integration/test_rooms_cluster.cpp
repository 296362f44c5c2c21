// Rooms across a 3-node cluster (CLUSTER.md "Rooms"): members on every node in one list and one
// order, patches serialized by the owner, a killed node's members leaving once, and the owner
// killed. Loopback only; every wait is bounded.
#include "fixture.hpp"
#include "cluster_support.hpp"
#include "rooms_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

// What one member sees of the room, built from its frames only.
struct member_view {
  ws_client c;
  std::string id;
  std::vector<std::string> list; // the members, in the order the frames give
  std::map<std::string, int> leaves; // how often each member was announced leaving
  std::int64_t version = 0;
  std::vector<std::int64_t> versions; // every state frame's version, in order
  std::vector<json::object> errors;

  void apply(const json::object& f) {
    auto op = field_s(f, "op");
    if (op == "presence") {
      for (const auto& j : f.at("joins").as_array())
        list.emplace_back(j.as_object().at("member").as_string());
      for (const auto& l : f.at("leaves").as_array()) {
        std::string who(l.as_string());
        leaves[who]++;
        list.erase(std::remove(list.begin(), list.end(), who), list.end());
      }
    } else if (op == "state") {
      version = field_i(f, "version");
      versions.push_back(version);
    } else if (op == "error") {
      errors.push_back(f);
    }
  }
  // Reads frames until `done` holds (bounded by `within`).
  template <class Pred>
  bool until(Pred done, std::chrono::milliseconds within = 8s) {
    auto deadline = steady::now() + within;
    while (!done()) {
      if (steady::now() > deadline)
        return false;
      auto text = c.read_text(200ms);
      if (!text)
        continue;
      auto v = parse_json(*text);
      if (v.is_object())
        apply(v.as_object());
    }
    return true;
  }
  // Reads whatever arrives during `quiet`.
  void drain(std::chrono::milliseconds quiet) {
    until([] { return false; }, quiet);
  }
};

member_view join_on(node& n, const std::string& sub, const std::string& room) {
  member_view v;
  v.c = connect_member(*n.d, sub);
  auto j = join(v.c, room, R"(,"info":{"on":")" + sub + R"("})");
  v.id = field_s(j, "member");
  v.list = member_ids(j.at("members"));
  v.version = field_i(j, "version");
  return v;
}

json::object read_room(node& n, const std::string& room) {
  http_client h(n.d->port());
  auto r = h.request("GET", "/v1/rooms/" + room, "", api_key_auth());
  INFO("GET on " << n.id() << ": " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return parse_json(r.body).as_object();
}

bool sent_patch(member_view& m, const std::string& room, const std::string& patch,
                std::int64_t version) {
  return m.c.send_text(R"({"op":"state","room":")" + room + R"(","patch":)" + patch
                       + R"(,"version":)" + std::to_string(version) + "}");
}

struct room_trio {
  trio t;
  const std::string room = "team";
  std::vector<node*> nodes{&t.a, &t.b, &t.c};
  std::vector<member_view> m;

  room_trio() {
    // One member per node, each joining once the previous one is in every list.
    const char* names[] = {"ann", "ben", "cat"};
    for (std::size_t i = 0; i < 3; ++i) {
      m.push_back(join_on(*nodes[i], names[i], room));
      for (auto& v : m)
        REQUIRE(v.until([&] { return v.list.size() == i + 1; }));
    }
  }
  node& owner() {
    return t.by_id(owner_of(t.a, "room." + room));
  }
  std::size_t index_of(const node& n) const {
    for (std::size_t i = 0; i < nodes.size(); ++i)
      if (nodes[i] == &n)
        return i;
    return 0;
  }
};

} // namespace

TEST_CASE("cluster rooms: a member on each of three nodes sees all three in one order",
          "[integration][rooms][cluster]") {
  room_trio r;
  const auto& expected = r.m[0].list;
  REQUIRE(expected.size() == 3);
  std::set<std::string> ids(expected.begin(), expected.end());
  CHECK(ids.size() == 3);
  for (auto& v : r.m) {
    INFO("member " << v.id);
    CHECK(v.list == expected);
  }
  CHECK(expected == std::vector<std::string>{r.m[0].id, r.m[1].id, r.m[2].id}); // join order
  for (auto* n : r.nodes) // REST on any node: the same list
    CHECK(member_ids(read_room(*n, r.room).at("members")) == expected);
}

TEST_CASE("cluster rooms: patches from members on different nodes get consecutive versions",
          "[integration][rooms][cluster]") {
  room_trio r;
  REQUIRE(sent_patch(r.m[0], r.room, R"({"a":1})", 0));
  for (auto& v : r.m)
    REQUIRE(v.until([&] { return v.version == 1; }));
  // Two members on two other nodes patch version 1: the owner takes the first, refuses the other.
  REQUIRE(sent_patch(r.m[1], r.room, R"({"b":2})", 1));
  REQUIRE(sent_patch(r.m[2], r.room, R"({"c":3})", 1));
  for (auto& v : r.m)
    REQUIRE(v.until([&] { return v.version == 2; }));
  r.m[1].drain(300ms);
  r.m[2].drain(300ms);
  auto conflicts = r.m[1].errors.size() + r.m[2].errors.size();
  CHECK(conflicts == 1);
  for (auto* e : {&r.m[1].errors, &r.m[2].errors})
    for (auto& err : *e) {
      CHECK(field_s(err, "code") == "version_conflict");
      CHECK(field_i(err, "version") == 2);
    }
  for (auto& v : r.m)
    CHECK(v.versions == std::vector<std::int64_t>{1, 2});
  // REST patches on any node go through the owner too.
  http_client h(r.t.c.d->port());
  auto res = h.request("PATCH", "/v1/rooms/" + r.room + "/state", R"({"patch":{"d":4},"version":2})",
                       api_key_auth());
  INFO(res.body);
  CHECK(res.status == 200);
  auto stale = h.request("PATCH", "/v1/rooms/" + r.room + "/state",
                         R"({"patch":{"d":5},"version":2})", api_key_auth());
  CHECK(stale.status == 409);
  for (auto& v : r.m)
    REQUIRE(v.until([&] { return v.version == 3; }));
  for (auto* n : r.nodes)
    CHECK(field_i(read_room(*n, r.room), "version") == 3);
}

TEST_CASE("cluster rooms: a killed node's member leaves once on the others",
          "[integration][rooms][cluster]") {
  room_trio r;
  auto& owner = r.owner();
  // A node that does not own the room.
  node* victim = nullptr;
  for (auto* n : r.nodes)
    if (n != &owner)
      victim = n;
  auto gone = r.m[r.index_of(*victim)].id;
  auto t0 = steady::now();
  victim->d->terminate(SIGKILL);
  REQUIRE(victim->d->wait_exit(5s).has_value());
  for (std::size_t i = 0; i < 3; ++i) {
    if (r.nodes[i] == victim)
      continue;
    auto& v = r.m[i];
    REQUIRE(v.until([&] { return v.leaves[gone] >= 1; }, 6s));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
  WARN("a killed node's member left the others' lists " << took.count() << " ms after kill -9");
  for (std::size_t i = 0; i < 3; ++i) {
    if (r.nodes[i] == victim)
      continue;
    auto& v = r.m[i];
    v.drain(500ms);
    CHECK(v.leaves[gone] == 1);
    CHECK(v.list.size() == 2);
    CHECK(member_ids(read_room(*r.nodes[i], r.room).at("members")) == v.list);
  }
}

TEST_CASE("cluster rooms: killing the owner leaves one list and the latest version",
          "[integration][rooms][cluster]") {
  room_trio r;
  auto& owner = r.owner();
  auto owner_i = r.index_of(owner);
  // Version 2, from members on two nodes.
  auto p1 = (owner_i + 1) % 3, p2 = (owner_i + 2) % 3;
  REQUIRE(sent_patch(r.m[p1], r.room, R"({"a":1})", 0));
  for (auto& v : r.m)
    REQUIRE(v.until([&] { return v.version == 1; }));
  REQUIRE(sent_patch(r.m[p2], r.room, R"({"b":2})", 1));
  for (auto& v : r.m)
    REQUIRE(v.until([&] { return v.version == 2; }));
  auto gone = r.m[owner_i].id;
  owner.d->terminate(SIGKILL);
  REQUIRE(owner.d->wait_exit(5s).has_value());
  for (auto i : {p1, p2}) {
    auto& v = r.m[i];
    REQUIRE(v.until([&] { return v.leaves[gone] >= 1; }, 8s));
  }
  // Both survivors converge on one list and the latest version, on REST too.
  auto deadline = steady::now() + 8s;
  json::object ra, rb;
  while (true) {
    ra = read_room(*r.nodes[p1], r.room);
    rb = read_room(*r.nodes[p2], r.room);
    if (member_ids(ra.at("members")) == member_ids(rb.at("members"))
        && member_ids(ra.at("members")).size() == 2)
      break;
    REQUIRE(steady::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(field_i(ra, "version") == 2);
  CHECK(field_i(rb, "version") == 2);
  CHECK(to_text(ra.at("state")) == R"({"a":1,"b":2})");
  for (auto i : {p1, p2}) {
    auto& v = r.m[i];
    v.drain(300ms);
    CHECK(v.leaves[gone] == 1);
    CHECK(v.list == member_ids(ra.at("members")));
  }
  // Patches go on at the new owner from version 2.
  REQUIRE(sent_patch(r.m[p1], r.room, R"({"c":3})", 2));
  for (auto i : {p1, p2}) {
    auto& v = r.m[i];
    REQUIRE(v.until([&] { return v.version == 3; }));
  }
}
