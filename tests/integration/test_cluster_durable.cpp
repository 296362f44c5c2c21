// A cluster on the durable store (storage.engine = rocksdb, CLUSTER.md): every node keeps what
// it acknowledges on its own disk, so kill -9 of the whole cluster and a restart on the same
// data directories keeps every acknowledged event (same seq and cursor on every node) and
// every idempotency key, and a replica restarted on its directory catches up from the owner.
// Three real processes on loopback; every wait is bounded.
#include "durable_node.hpp"
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

using node = durable_node;

// Every node lists `nodes.size()` members up (bounded).
void wait_converged(const std::vector<node*>& nodes) {
  auto deadline = steady::now() + 15s;
  while (true) {
    bool all = true;
    for (auto* n : nodes) {
      std::size_t up = 0;
      auto listing = cluster_listing(*n); // alive while its members are walked
      for (const auto& m : listing.at("members").as_array())
        up += m.as_object().at("state") == "up" ? 1 : 0;
      all = all && up == nodes.size();
    }
    if (all)
      return;
    REQUIRE(steady::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
}

// Starts the nodes in order, each joining the one before it, and waits until all see each other.
void start_chain(const std::vector<node*>& nodes) {
  std::string seed;
  for (auto* n : nodes) {
    n->start(seed);
    seed = n->id();
  }
  wait_converged(nodes);
}

// Every event of a channel's history on one node, oldest first (one page is enough here).
std::vector<json::object> history_of(const node& n, const std::string& channel) {
  http_client h(n.d->port());
  auto r = h.request("GET", "/v1/channels/" + channel + "/events?limit=1000", "",
                     api_key_auth());
  REQUIRE(r.status == 200);
  auto page = parse_json(r.body);
  std::vector<json::object> out;
  for (const auto& e : page.as_object().at("events").as_array())
    out.push_back(e.as_object());
  return out;
}

struct acked_event {
  std::int64_t seq = 0;
  std::string id;
  std::string key;
};

std::string body_for(const std::string& key, int i) {
  return R"({"data":{"i":)" + std::to_string(i) + R"(},"idempotencyKey":")" + key + "\"}";
}

// Publishes `count` events with keys to `channel`, spread over `via`; returns them by key.
std::map<std::string, acked_event> publish_keyed(const std::vector<node*>& via,
                                                 const std::string& channel, int from,
                                                 int count) {
  std::map<std::string, acked_event> out;
  for (int i = from; i < from + count; ++i) {
    http_client h(via[static_cast<std::size_t>(i) % via.size()]->d->port());
    auto key = channel + "-k" + std::to_string(i);
    auto ev = publish(h, channel, body_for(key, i));
    out[key] = {field_i(ev, "seq"), field_s(ev, "id"), key};
  }
  return out;
}

// The history on `n` holds every acknowledged event with its seq and id, without a gap.
void check_history(const node& n, const std::string& channel,
                   const std::map<std::string, acked_event>& acked) {
  INFO("node " << n.id() << ", channel " << channel);
  auto events = history_of(n, channel);
  std::map<std::int64_t, std::string> ids; // seq -> id
  for (const auto& e : events)
    ids[field_i(e, "seq")] = field_s(e, "id");
  for (const auto& [key, a] : acked) {
    INFO("key " << key << ", seq " << a.seq);
    REQUIRE(ids.count(a.seq) == 1);
    CHECK(ids[a.seq] == a.id);
  }
  REQUIRE(!ids.empty());
  CHECK(ids.rbegin()->first - ids.begin()->first + 1 == static_cast<std::int64_t>(ids.size()));
}

std::int64_t last_of(const std::map<std::string, acked_event>& acked) {
  std::int64_t last = 0;
  for (const auto& [key, a] : acked)
    last = std::max(last, a.seq);
  return last;
}

} // namespace

TEST_CASE("cluster on the store: kill -9 of every node and a restart keep history and keys",
          "[integration][cluster][durable]") {
  node a, b, c;
  REQUIRE((!a.dir.empty() && !b.dir.empty() && !c.dir.empty()));
  start_chain({&a, &b, &c});
  std::vector<node*> all{&a, &b, &c};
  const std::vector<std::string> channels{"orders", "audit.trail", "metrics.cpu", "chat.42"};
  std::map<std::string, std::map<std::string, acked_event>> acked; // channel -> key -> event
  for (const auto& ch : channels) { // the first event makes the owner ask for its replica
    auto first = publish_keyed(all, ch, 0, 1);
    acked[ch].insert(first.begin(), first.end());
  }
  std::this_thread::sleep_for(300ms); // the replica relays register with their owners
  for (const auto& ch : channels) {
    auto more = publish_keyed(all, ch, 1, 24);
    acked[ch].insert(more.begin(), more.end());
    CHECK(last_of(acked[ch]) == 25);
  }
  for (auto* n : all)
    n->kill9();

  start_chain({&a, &b, &c});
  // Every acknowledged event, with the same seq and cursor, on every node.
  for (const auto& ch : channels)
    for (auto* n : all)
      check_history(*n, ch, acked[ch]);
  // Acknowledged keys retried through any node: the original, 200 duplicate.
  for (const auto& ch : channels) {
    int i = 0;
    for (const auto& [key, a_ev] : acked[ch]) {
      if (i++ % 6 != 0)
        continue;
      http_client h(all[static_cast<std::size_t>(i) % all.size()]->d->port());
      auto dup = publish(h, ch, body_for(key, -1), 200);
      CHECK(field_b(dup, "duplicate"));
      CHECK(field_s(dup, "id") == a_ev.id);
    }
  }
  // New publishes continue after the last stored seq, in the same epoch.
  for (const auto& ch : channels) {
    http_client h(b.d->port());
    auto next = publish(h, ch, R"({"data":"after"})");
    CHECK(field_i(next, "seq") == 26);
    auto id = field_s(next, "id");
    auto old = acked[ch].begin()->second.id;
    CHECK(id.substr(0, id.find('-')) == old.substr(0, old.find('-')));
  }
}

TEST_CASE("cluster on the store: the old owner gone, the replicas' disks keep every acked event",
          "[integration][cluster][durable]") {
  node a, b, c;
  start_chain({&a, &b, &c});
  std::vector<node*> all{&a, &b, &c};
  const std::string channel = "ledger";
  auto owner_id = field_s(cluster_listing(a, "?channel=" + channel), "owner");
  auto acked = publish_keyed(all, channel, 0, 1);
  std::this_thread::sleep_for(300ms); // the replica relay registers with the owner
  auto more = publish_keyed(all, channel, 1, 39);
  acked.insert(more.begin(), more.end());
  for (auto* n : all)
    n->kill9();
  // Only the two nodes that did not own the channel come back: the owner's disk is gone from
  // the cluster, and the first replica's store holds what the owner acknowledged.
  std::vector<node*> back;
  for (auto* n : all)
    if (n->id() != owner_id)
      back.push_back(n);
  REQUIRE(back.size() == 2);
  start_chain(back);
  for (auto* n : back)
    check_history(*n, channel, acked);
  http_client h(back[1]->d->port());
  auto dup = publish(h, channel, body_for(acked.begin()->first, -1), 200);
  CHECK(field_b(dup, "duplicate"));
  CHECK(field_s(dup, "id") == acked.begin()->second.id);
  CHECK(field_i(publish(h, channel, R"({"data":"after"})"), "seq") == 41);
}

TEST_CASE("cluster on the store: a replica killed and restarted on its dir catches up",
          "[integration][cluster][durable]") {
  node a, b, c;
  start_chain({&a, &b, &c});
  std::vector<node*> all{&a, &b, &c};
  const std::string channel = "feed";
  auto l = cluster_listing(a, "?channel=" + channel);
  REQUIRE(l.at("replicas").as_array().size() == 1);
  auto replica_id = std::string(l.at("replicas").as_array()[0].as_string());
  node* replica = nullptr;
  std::vector<node*> others;
  for (auto* n : all) {
    if (n->id() == replica_id)
      replica = n;
    else
      others.push_back(n);
  }
  REQUIRE(replica);
  auto acked = publish_keyed(others, channel, 0, 1);
  std::this_thread::sleep_for(300ms);
  auto before = publish_keyed(others, channel, 1, 14);
  acked.insert(before.begin(), before.end());
  replica->kill9();
  // While it is down: acknowledged by the owner (the dead replica is skipped).
  auto during = publish_keyed(others, channel, 15, 15);
  acked.insert(during.begin(), during.end());
  replica->start(others[0]->id());
  wait_converged(all);
  // It follows the owner again from its stored position and takes what it missed: a resume
  // there from the first event replays every other one (the subscribe waits for the relay's
  // sync). Later bursts wait for its ack again.
  auto first_id = std::min_element(acked.begin(), acked.end(), [](const auto& x, const auto& y) {
                    return x.second.seq < y.second.seq;
                  })->second.id;
  auto sub = connect_fabric(*replica->d, "watcher");
  auto conf = subscribe(sub, {channel}, R"("since":{")" + channel + R"(":")" + first_id + "\"}");
  CHECK(field_b(conf[channel], "recovered"));
  for (std::int64_t seq = 2; seq <= last_of(acked); ++seq)
    CHECK(field_i(next_event(sub), "seq") == seq);
  auto after = publish_keyed(others, channel, 30, 10);
  acked.insert(after.begin(), after.end());
  CHECK(last_of(acked) == 40);
  // Its own disk holds them all: every node dies, the replica restarts alone on its dir.
  for (auto* n : all)
    n->kill9();
  replica->start("");
  check_history(*replica, channel, acked);
  http_client h(replica->d->port());
  auto dup = publish(h, channel, body_for(acked.rbegin()->first, -1), 200);
  CHECK(field_b(dup, "duplicate"));
  CHECK(field_i(publish(h, channel, R"({"data":"after"})"), "seq") == 41);
}
