// Every type that crosses between nodes survives CAF's serialization both on its own and
// inside a message (which needs its registration: an unregistered type would be dropped
// silently), and the rendezvous ranking is stable and spreads channels.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "schema/cluster.hpp"
#include "schema/ownership.hpp"
#include "schema/room_cluster.hpp"

using namespace sy;

namespace {

// One actor system per test case, torn down before the process exits (a static one would be
// destroyed after CAF's own statics).
struct test_env {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  test_env() {
    register_cluster_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }
};

test_env* current_env = nullptr;

caf::actor_system& test_system() {
  return *current_env->sys;
}

struct env_scope {
  test_env env;
  env_scope() {
    current_env = &env;
  }
  ~env_scope() {
    current_env = nullptr;
  }
};

template <class T>
T round_trip(const T& in) {
  auto& sys = test_system();
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  T copy = in;
  REQUIRE_FALSE(sink(copy));
  T out;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(out));
  return out;
}

// Inside a message: the path remoting takes, resolved through the registered type names.
template <class T>
T message_round_trip(const T& in) {
  auto& sys = test_system();
  auto msg = caf::make_message(in);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(msg));
  caf::message back;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(back));
  REQUIRE(back.match_elements<T>());
  return back.get_as<T>(0);
}

event sample_event(std::uint64_t seq) {
  event e;
  e.channel = "ws.acme.postgres:products";
  e.epoch = 0xabcdef12345ULL;
  e.seq = seq;
  e.timestamp_ms = 1705312800123;
  e.type = "UPDATE";
  e.data_json = R"({"operation":"UPDATE","record":{"id":"1","name":"é"}})";
  e.metadata_json = R"({"tenant":"t1"})";
  e.metadata = {{"tenant", "t1"}, {"n", "2"}};
  e.idempotency_key = "k-" + std::to_string(seq);
  e.correlation_id = "c-1";
  return e;
}

bool same(const event& a, const event& b) {
  return a.channel == b.channel && a.epoch == b.epoch && a.seq == b.seq
         && a.timestamp_ms == b.timestamp_ms && a.type == b.type && a.data_json == b.data_json
         && a.metadata_json == b.metadata_json && a.metadata == b.metadata
         && a.idempotency_key == b.idempotency_key && a.correlation_id == b.correlation_id;
}

bool same(const std::vector<event>& a, const std::vector<event>& b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i]))
      return false;
  return true;
}

} // namespace

TEST_CASE("event, cursor, publish_cmd and history_query round-trip", "[cluster][serialization]") {
  env_scope scope;
  auto e = sample_event(7);
  CHECK(same(round_trip(e), e));
  CHECK(same(message_round_trip(e), e));
  std::vector<event> batch{sample_event(1), sample_event(2), event{}};
  CHECK(same(round_trip(batch), batch));
  CHECK(same(message_round_trip(batch), batch));

  cursor c{0xabc, 42};
  auto c2 = message_round_trip(c);
  CHECK(c2.epoch == c.epoch);
  CHECK(c2.seq == c.seq);

  publish_cmd p;
  p.channel = "orders";
  p.type = "created";
  p.data_json = R"({"a":[1,2]})";
  p.metadata_json = R"({"k":"v"})";
  p.metadata = {{"k", "v"}};
  p.idempotency_key = "idem";
  p.correlation_id = "corr";
  auto p2 = message_round_trip(p);
  CHECK(p2.channel == p.channel);
  CHECK(p2.type == p.type);
  CHECK(p2.data_json == p.data_json);
  CHECK(p2.metadata_json == p.metadata_json);
  CHECK(p2.metadata == p.metadata);
  CHECK(p2.idempotency_key == p.idempotency_key);
  CHECK(p2.correlation_id == p.correlation_id);

  history_query q;
  q.channel = "orders";
  q.has_cursor = true;
  q.after = {5, 9};
  q.limit = 17;
  auto q2 = message_round_trip(q);
  CHECK(q2.channel == q.channel);
  CHECK(q2.has_cursor);
  CHECK(q2.after.epoch == 5);
  CHECK(q2.after.seq == 9);
  CHECK(q2.limit == 17);
}

TEST_CASE("membership and replication messages round-trip", "[cluster][serialization]") {
  env_scope scope;
  member_info m{"node-a", "127.0.0.2", 7001};
  auto m2 = message_round_trip(m);
  CHECK(m2.node_id == "node-a");
  CHECK(m2.host == "127.0.0.2");
  CHECK(m2.port == 7001);
  std::vector<member_info> ms{m, {"node-b", "127.0.0.3", 7002}};
  auto ms2 = message_round_trip(ms);
  REQUIRE(ms2.size() == 2);
  CHECK(ms2[1].node_id == "node-b");

  std::vector<member_status> st{{m, "up", 1700000000000}, {{"b", "h", 1}, "down", 5}};
  auto st2 = message_round_trip(st);
  REQUIRE(st2.size() == 2);
  CHECK(st2[0].state == "up");
  CHECK(st2[0].since_ms == 1700000000000);
  CHECK(st2[1].info.node_id == "b");

  wire_publish_result w{sample_event(3), true};
  auto w2 = message_round_trip(w);
  CHECK(same(w2.ev, w.ev));
  CHECK(w2.duplicate);

  follow_sync f;
  f.channel = "orders";
  f.epoch = 99;
  f.head = 12;
  f.events = {sample_event(11), sample_event(12)};
  f.recovered = false;
  f.receipts = {{"k1", 3, 1700000000003, "message", "c1", 1700000300003}};
  auto f2 = message_round_trip(f);
  CHECK(f2.channel == "orders");
  CHECK(f2.epoch == 99);
  CHECK(f2.head == 12);
  CHECK(same(f2.events, f.events));
  CHECK_FALSE(f2.recovered);
  REQUIRE(f2.receipts.size() == 1);
  CHECK(f2.receipts[0].key == "k1");
  CHECK(f2.receipts[0].seq == 3);
  CHECK(f2.receipts[0].timestamp_ms == 1700000000003);
  CHECK(f2.receipts[0].correlation_id == "c1");
  CHECK(f2.receipts[0].expires_ms == 1700000300003);

  wire_history_page h;
  h.events = {sample_event(1)};
  h.next_cursor = "abc-1";
  h.has_more = true;
  h.recovered = false;
  auto h2 = message_round_trip(h);
  CHECK(same(h2.events, h.events));
  CHECK(h2.next_cursor == "abc-1");
  CHECK(h2.has_more);
  CHECK_FALSE(h2.recovered);

  cluster_view v;
  v.node_ids = {"a", "b"};
  v.handles = {cluster_actor{}, cluster_actor{}};
  v.self = 1;
  v.replicas = 2;
  auto v2 = round_trip(v);
  CHECK(v2.node_ids == v.node_ids);
  CHECK(v2.handles.size() == 2);
  CHECK(v2.self == 1);
  CHECK(v2.replicas == 2);
}

TEST_CASE("follow, fetch and remote pattern requests round-trip", "[cluster][serialization]") {
  env_scope scope;
  follow_request f;
  f.channel = "orders";
  f.after = {77, 5};
  f.has_after = true;
  f.replica = true;
  auto f2 = message_round_trip(f);
  CHECK(f2.channel == "orders");
  CHECK(f2.after.epoch == 77);
  CHECK(f2.after.seq == 5);
  CHECK(f2.has_after);
  CHECK(f2.replica);
  CHECK_FALSE(f2.relay);

  fetch_request r{"orders", cluster_actor{}};
  auto r2 = message_round_trip(r);
  CHECK(r2.channel == "orders");
  CHECK_FALSE(r2.new_owner);

  remote_pattern p{"postgres:", pattern_actor{}};
  auto p2 = message_round_trip(p);
  CHECK(p2.prefix == "postgres:");
  CHECK_FALSE(p2.pattern);

  auto v = message_round_trip(std::vector<cluster_actor>{cluster_actor{}});
  CHECK(v.size() == 1);
}

TEST_CASE("rendezvous ranking: same everywhere, minimal movement, spread", "[cluster]") {
  std::vector<std::string> nodes{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"};
  // The same inputs rank the same (every node computes it on its own).
  CHECK(rank_nodes(nodes, "orders") == rank_nodes(nodes, "orders"));
  CHECK(rendezvous_score("a", "bc") != rendezvous_score("ab", "c"));
  // Removing a node moves only the channels it owned; the next-ranked node takes them.
  std::map<std::string, std::size_t> owners;
  std::size_t moved = 0;
  std::vector<std::string> two{nodes[0], nodes[1]};
  std::map<std::size_t, int> per_node;
  for (int i = 0; i < 3000; ++i) {
    auto ch = "channel-" + std::to_string(i);
    auto r3 = rank_nodes(nodes, ch);
    per_node[r3[0]]++;
    auto r2 = rank_nodes(two, ch);
    if (r3[0] != 2) {
      CHECK(r2[0] == r3[0]); // its owner survives: it keeps the channel
    } else {
      ++moved;
      CHECK(two[r2[0]] == nodes[r3[1]]); // the first replica takes over
    }
  }
  CHECK(moved == static_cast<std::size_t>(per_node[2]));
  for (auto& [node, count] : per_node) { // roughly a third each
    CHECK(count > 800);
    CHECK(count < 1200);
  }
}

TEST_CASE("the room messages between owner and relays round-trip inside a message",
          "[cluster][serialization]") {
  env_scope scope;
  wire_room_change c;
  c.what = wire_room_change::state;
  c.n = 9;
  c.member = "4";
  c.user = "ann";
  c.info = R"({"c":"red"})";
  c.joined_ms = 1705312800123;
  c.node = "127.0.0.1:7001";
  c.version = 12;
  c.text = R"({"a":null})";
  c.state_text = R"({"b":"\u00e9"})";
  auto back = message_round_trip(c);
  CHECK(back.what == c.what);
  CHECK(back.n == 9);
  CHECK((back.member == c.member && back.user == c.user && back.info == c.info));
  CHECK((back.joined_ms == c.joined_ms && back.node == c.node && back.version == 12));
  CHECK((back.text == c.text && back.state_text == c.state_text));

  wire_room_snapshot s;
  s.room = "team";
  s.members = {c, c};
  s.version = 3;
  s.state_text = R"({"k":1})";
  s.metadata_text = R"({"m":2})";
  auto s2 = message_round_trip(s);
  CHECK((s2.room == "team" && s2.members.size() == 2 && s2.version == 3));
  CHECK((s2.state_text == s.state_text && s2.metadata_text == s.metadata_text));

  s.id_floor = 2049;
  CHECK(message_round_trip(s).id_floor == 2049);

  wire_room_link l{"team", "node-b", {}, {c}, 5, "{}", R"({"m":1})", 1025};
  auto l2 = message_round_trip(l);
  CHECK((l2.room == "team" && l2.node == "node-b" && l2.members.size() == 1 && l2.version == 5));
  CHECK((l2.metadata_text == l.metadata_text && l2.id_floor == 1025));

  auto rec = message_round_trip(wire_room_record{"team", 3, R"({"a":1})", R"({"m":1})", 1025});
  CHECK((rec.room == "team" && rec.version == 3 && rec.state_text == R"({"a":1})"));
  CHECK((rec.metadata_text == R"({"m":1})" && rec.id_floor == 1025));

  auto j = message_round_trip(wire_room_join{7, "node-b", "ben", "{}"});
  CHECK((j.token == 7 && j.node == "node-b" && j.user == "ben" && j.info == "{}"));
  auto jd = message_round_trip(wire_room_joined{7, "", 42, "full"});
  CHECK((jd.token == 7 && jd.member.empty() && jd.error == 42 && jd.message == "full"));
  auto call = message_round_trip(wire_room_call{1, R"({"m":1})", 4});
  CHECK((call.kind == 1 && call.json == R"({"m":1})" && call.version == 4));
  auto res = message_round_trip(wire_room_result{0, "", R"({"room":"team"})", 4});
  CHECK((res.error == 0 && res.json == R"({"room":"team"})" && res.version == 4));
}
