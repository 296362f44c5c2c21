// Three switchyard processes form one router through CAF remoting (CLUSTER.md): cross-node
// delivery in the channel's single order with the owner's sequence numbers and cursors,
// idempotency across nodes, kill -9 of a busy channel's owner without losing an acknowledged
// event, and a restarted node rejoining. Loopback only; every wait is bounded.
#include "fixture.hpp"
#include "cluster_support.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

json::object post_event(http_client& h, const std::string& channel, const std::string& body,
                        int* status = nullptr) {
  auto auth = api_key_auth();
  auto r = h.request("POST", "/v1/channels/" + channel + "/events", body, auth);
  if (status)
    *status = r.status;
  auto v = parse_json(r.body);
  return v.is_object() ? v.as_object() : json::object{};
}

} // namespace

TEST_CASE("cluster: subscribe on A, publish on B and C: one order, the owner's seq and cursors") {
  trio t;
  auto sub = connect_fabric(*t.a.d, "watcher");
  subscribe(sub, {"orders"});
  http_client hb(t.b.d->port()), hc(t.c.d->port());
  std::vector<json::object> stored;
  for (int i = 0; i < 20; ++i)
    stored.push_back(publish(i % 2 ? hc : hb, "orders",
                             R"({"data":{"i":)" + std::to_string(i) + R"(},"idempotencyKey":"k)"
                               + std::to_string(i) + "\"}"));
  for (int i = 0; i < 20; ++i) {
    auto ev = next_event(sub);
    CHECK(field_i(ev, "seq") == i + 1);
    CHECK(field_i(ev, "seq") == field_i(stored[i], "seq"));
    CHECK(field_s(ev, "id") == field_s(stored[i], "id")); // same cursor on every node
    CHECK(field_o(ev, "data").at("i").to_number<int>() == i);
  }
  // A retry of the first publish, sent to a different node: deduplicated by the owner.
  http_client ha(t.a.d->port());
  auto again = publish(ha, "orders", R"({"data":{"i":0},"idempotencyKey":"k0"})", 200);
  CHECK(field_b(again, "duplicate"));
  CHECK(field_i(again, "seq") == 1);
  expect_silence(sub, 300ms);
  // History reads agree on every node.
  for (auto* n : {&t.a, &t.b, &t.c}) {
    http_client h(n->d->port());
    auto r = h.request("GET", "/v1/channels/orders/events?limit=100", "", api_key_auth());
    REQUIRE(r.status == 200);
    auto page = parse_json(r.body);
    auto events = page.as_object().at("events").as_array();
    REQUIRE(events.size() == 20);
    CHECK(field_s(events[19].as_object(), "id") == field_s(stored[19], "id"));
  }
  auto l = cluster_listing(t.a, "?channel=orders");
  CHECK(field_s(l, "owner") == owner_of(t.c, "orders")); // every node names the same owner
  CHECK(l.at("replicas").as_array().size() == 1);
}

TEST_CASE("cluster: a wildcard on A hears channels owned anywhere, each event once") {
  trio t;
  auto sub = connect_fabric(*t.a.d, "watcher");
  subscribe(sub, {"orders.*"});
  std::this_thread::sleep_for(300ms); // the pattern's announcement reaches the other nodes
  http_client hb(t.b.d->port()), hc(t.c.d->port());
  std::set<std::string> owners;
  std::map<std::string, int> want; // channel -> events published
  for (int i = 0; i < 24; ++i) {
    auto channel = "orders." + std::to_string(i % 8);
    owners.insert(owner_of(t.a, channel));
    publish(i % 2 ? hc : hb, channel, R"({"data":{"i":)" + std::to_string(i) + "}}");
    want[channel]++;
  }
  CHECK(owners.size() >= 2); // the eight channels live on several nodes
  std::map<std::string, int> got;
  std::map<std::string, std::int64_t> last_seq;
  for (int i = 0; i < 24; ++i) {
    auto ev = next_event(sub);
    auto ch = field_s(ev, "channel");
    got[ch]++;
    CHECK(field_i(ev, "seq") == last_seq[ch] + 1); // each channel in order, nothing twice
    last_seq[ch] = field_i(ev, "seq");
  }
  CHECK(got == want);
  expect_silence(sub, 300ms);
}

TEST_CASE("cluster: kill -9 the owner of a busy channel and nothing acknowledged is lost") {
  trio t;
  const std::string channel = "busy";
  node& owner = t.by_id(owner_of(t.a, channel));
  std::vector<node*> others;
  for (auto* n : {&t.a, &t.b, &t.c})
    if (n != &owner)
      others.push_back(n);
  node* survivor = others[0];
  node* publisher_node = others[1];
  // The subscriber sits on the owner: it loses its connection and resumes on a survivor.
  auto sub = connect_fabric(*owner.d, "watcher");
  subscribe(sub, {channel});
  http_client hp(publisher_node->d->port());
  std::map<std::int64_t, int> acked; // seq -> i
  int failures = 0;
  for (int i = 0; i < 240; ++i) {
    if (i == 80)
      owner.d->terminate(SIGKILL);
    int status = 0;
    auto r = post_event(hp, channel,
                        R"({"data":{"i":)" + std::to_string(i) + R"(},"idempotencyKey":"b)"
                          + std::to_string(i) + "\"}",
                        &status);
    if (status == 201 || status == 200) {
      auto seq = field_i(r, "seq");
      CHECK(acked.count(seq) == 0); // no sequence number handed out twice
      acked[seq] = i;
    } else {
      ++failures;
    }
  }
  INFO("acknowledged " << acked.size() << ", refused " << failures);
  CHECK(acked.size() >= 200);
  // What the subscriber saw before its node died.
  std::set<std::int64_t> seen;
  std::string last_id;
  while (auto v = sub.read_text(2s)) {
    auto o = parse_json(*v);
    if (!o.is_object() || field_s(o.as_object(), "op") != "event")
      continue;
    auto seq = field_i(o.as_object(), "seq");
    CHECK(seen.insert(seq).second);
    last_id = field_s(o.as_object(), "id");
  }
  REQUIRE(!last_id.empty());
  // Every acknowledged event is in the survivors' history, once, without a gap.
  for (auto* n : {survivor, publisher_node}) {
    http_client h(n->d->port());
    auto r = h.request("GET", "/v1/channels/" + channel + "/events?limit=1000", "",
                       api_key_auth());
    REQUIRE(r.status == 200);
    std::map<std::int64_t, int> history;
    auto page = parse_json(r.body); // keep the document alive while iterating it
    for (const auto& e : page.as_object().at("events").as_array())
      history[field_i(e.as_object(), "seq")] =
        field_o(e.as_object(), "data").at("i").to_number<int>();
    for (const auto& [seq, i] : acked) {
      INFO("seq " << seq);
      REQUIRE(history.count(seq) == 1);
      CHECK(history[seq] == i);
    }
    CHECK(history.rbegin()->first == static_cast<std::int64_t>(history.size())); // no gap
  }
  // Reconnect to a survivor with the cursor: every acknowledged event exactly once overall.
  auto again = connect_fabric(*survivor->d, "watcher");
  auto acks = subscribe(again, {channel}, R"("since":{")" + channel + R"(":")" + last_id + "\"}");
  CHECK(field_b(acks[channel], "recovered"));
  auto deadline = steady::now() + 10s;
  auto missing = [&] {
    for (const auto& [seq, i] : acked)
      if (!seen.count(seq))
        return true;
    return false;
  };
  while (missing() && steady::now() < deadline) {
    auto ev = next_event(again);
    CHECK(seen.insert(field_i(ev, "seq")).second); // never twice
  }
  CHECK_FALSE(missing());
  expect_silence(again, 300ms);
}

TEST_CASE("cluster: a restarted node rejoins and the listing converges") {
  trio t;
  t.c.d->terminate(SIGKILL);
  REQUIRE(t.c.d->wait_exit(5s));
  auto deadline = steady::now() + 10s;
  while (true) { // a sees c down
    bool down = false;
    auto listing = cluster_listing(t.a);
    for (const auto& m : listing.at("members").as_array())
      if (field_s(m.as_object(), "nodeId") == t.c.id() && field_s(m.as_object(), "state") == "down")
        down = true;
    if (down)
      break;
    REQUIRE(steady::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
  // Channels keep working on the two survivors meanwhile.
  http_client ha(t.a.d->port());
  publish(ha, "during", R"({"data":1})");
  start(t.c, t.a.id());
  wait_converged({&t.a, &t.b, &t.c});
  auto l = cluster_listing(t.c);
  CHECK(field_s(l, "self") == t.c.id());
  std::size_t selves = 0;
  for (const auto& m : l.at("members").as_array())
    selves += field_b(m.as_object(), "self") ? 1 : 0;
  CHECK(selves == 1);
  CHECK(l.at("members").as_array().size() == 3);
  // And the rejoined node serves the channel with its history.
  http_client hc(t.c.d->port());
  auto r = publish(hc, "during", R"({"data":2})");
  CHECK(field_i(r, "seq") == 2);
}

TEST_CASE("cluster: a history cursor ahead of the owner is 400 bad_cursor on every node") {
  trio t;
  const std::string channel = "ahead";
  auto l = cluster_listing(t.a, "?channel=" + channel);
  auto owner_id = field_s(l, "owner");
  REQUIRE(l.at("replicas").as_array().size() == 1);
  auto replica_id = std::string(l.at("replicas").as_array()[0].as_string());
  node* bystander = nullptr; // holds no copy: its read crosses to the owner
  for (auto* n : {&t.a, &t.b, &t.c})
    if (n->id() != owner_id && n->id() != replica_id)
      bystander = n;
  REQUIRE(bystander);
  http_client ho(t.by_id(owner_id).d->port());
  auto last = publish(ho, channel, R"({"data":1})");
  publish(ho, channel, R"({"data":2})");
  // The stored event's cursor with a sequence number the channel has not reached.
  auto id = field_s(last, "id");
  auto ahead = id.substr(0, id.find('-')) + "-99";
  for (auto* n : {&t.by_id(owner_id), &t.by_id(replica_id), bystander}) {
    INFO(n->id());
    http_client h(n->d->port());
    auto r = h.request("GET", "/v1/channels/" + channel + "/events?cursor=" + ahead, "",
                       api_key_auth());
    CHECK(r.status == 400);
    auto body = parse_json(r.body).as_object();
    CHECK(field_s(field_o(body, "error"), "code") == "bad_cursor");
  }
}
