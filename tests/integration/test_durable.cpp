// storage.engine = rocksdb against the real daemon: a restart on the same data directory keeps
// history, cursors and idempotency keys; kill -9 during a publisher flood loses no event that
// was answered 201 and reuses no seq; a second daemon on the same directory is refused.
#include "fixture.hpp"
#include "durable_support.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

using namespace sy::test;

namespace {

struct acked {
  std::string id;
  std::string data;
  std::string key; // idempotencyKey, "" when none
};

} // namespace

TEST_CASE("a daemon restarted on the same data dir keeps history, cursors and idempotency keys",
          "[integration][durable]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const std::string topic = "durable.restart";
  std::vector<std::string> ids;
  {
    daemon_process d(durable_args(dir));
    http_client h(d.port());
    for (int i = 1; i <= 5; ++i) {
      auto ev = publish(h, topic,
                        R"({"data":{"i":)" + std::to_string(i) + R"(},"idempotencyKey":"k)"
                          + std::to_string(i) + R"("})");
      CHECK(field_i(ev, "seq") == i);
      ids.push_back(field_s(ev, "id"));
    }
    d.terminate(SIGTERM);
    REQUIRE(d.wait_exit(10s).has_value());
  }
  daemon_process d(durable_args(dir));
  http_client h(d.port());
  // History: the same events, same ids (epoch and seq).
  auto events = read_all(h, topic);
  REQUIRE(events.size() == 5);
  for (std::size_t i = 0; i < events.size(); ++i)
    CHECK(field_s(events[i], "id") == ids[i]);
  // A pre-restart cursor resumes: recovered, the events after it exactly once.
  auto c = connect_fabric(d, "resumer");
  auto conf = subscribe(c, {topic}, R"("since":{")" + topic + R"(":")" + ids[1] + R"("})")[topic];
  CHECK(field_b(conf, "recovered") == true);
  for (int seq = 3; seq <= 5; ++seq)
    CHECK(field_i(next_event(c), "seq") == seq);
  // An acknowledged key retried: 200 duplicate, the original seq, not delivered.
  auto dup = publish(h, topic, R"({"data":{"i":3},"idempotencyKey":"k3"})", 200);
  CHECK(field_b(dup, "duplicate") == true);
  CHECK(field_s(dup, "id") == ids[2]);
  // Sequences continue after the last stored one.
  auto next = publish(h, topic, R"({"data":{"i":6}})");
  CHECK(field_i(next, "seq") == 6);
  CHECK(field_i(next_event(c), "seq") == 6); // live, and the duplicate was never delivered
}

TEST_CASE("kill -9 during a publisher flood loses no acknowledged event and reuses no seq",
          "[integration][durable]") {
  // SY_DURABLE_ROUNDS changes the count for a manual run (bounded at 100).
  int rounds = 20;
  if (const char* r = std::getenv("SY_DURABLE_ROUNDS"))
    rounds = std::max(1, std::min(100, std::atoi(r)));
  constexpr int publishers = 4;
  constexpr int per_publisher = 300;
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const std::string topic = "durable.flood";
  // Room for every round's events: the check reads the whole history back.
  auto args = durable_args(dir, {"--set", "history.size=100000"});
  std::map<std::int64_t, acked> acks; // seq -> what its 201 said, over every round
  std::mt19937 rng(std::random_device{}());
  std::string last_seen; // the id of the last event a subscriber got live before the last kill
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    daemon_process d(args);
    // In the last round a subscriber follows the flood: after the crash its cursor must
    // resume with every event it missed, once.
    std::optional<ws_client> watcher;
    std::thread watching;
    if (round == rounds - 1) {
      watcher.emplace(connect_fabric(d, "watcher"));
      subscribe(*watcher, {topic});
      watching = std::thread([&] {
        for (int frames = 0; frames < 100000; ++frames) {
          auto f = watcher->read_text(2s);
          if (!f)
            break; // the daemon died (or went quiet)
          auto v = parse_json(*f);
          if (v.is_object() && field_s(v.as_object(), "op") == "event")
            last_seen = field_s(v.as_object(), "id");
        }
      });
    }
    std::mutex mu;
    std::vector<std::pair<std::int64_t, acked>> got;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int p = 0; p < publishers; ++p)
      threads.emplace_back([&, p] {
        http_client h(d.port(), 2s);
        for (int i = 0; i < per_publisher && !stop; ++i) {
          auto data = "{\"r\":" + std::to_string(round) + ",\"p\":" + std::to_string(p)
                      + ",\"i\":" + std::to_string(i) + "}";
          // Half the publishers use idempotency keys: they must survive the crash too.
          std::string key = p % 2 == 0 ? "r" + std::to_string(round) + "p" + std::to_string(p)
                                           + "i" + std::to_string(i)
                                       : "";
          auto body = "{\"data\":" + data
                      + (key.empty() ? std::string() : ",\"idempotencyKey\":\"" + key + "\"")
                      + "}";
          auto res = h.request("POST", "/v1/channels/" + topic + "/events", body,
                               api_key_auth());
          if (res.status != 201)
            break; // killed (transport failure) or refused: this publisher stops
          auto v = parse_json(res.body);
          if (!v.is_object())
            break;
          auto& o = v.as_object();
          std::lock_guard<std::mutex> lock(mu);
          got.push_back({field_i(o, "seq"), {field_s(o, "id"), data, key}});
        }
      });
    std::uniform_int_distribution<int> delay(20, 400);
    auto wait = delay(rng) + (round == rounds - 1 ? 200 : 0); // the watcher sees some
    std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    d.terminate(SIGKILL);
    REQUIRE(d.wait_exit(10s).has_value());
    stop = true;
    for (auto& t : threads)
      t.join();
    if (watching.joinable())
      watching.join();
    for (auto& [seq, a] : got) {
      INFO("seq " << seq);
      CHECK(acks.count(seq) == 0); // a seq acknowledged twice would be a reused seq
      acks[seq] = a;
    }
  }
  daemon_process d(args);
  http_client h(d.port());
  auto events = read_all(h, topic);
  std::int64_t prev = 0;
  std::map<std::int64_t, const json::object*> by_seq;
  for (const auto& e : events) {
    auto seq = field_i(e, "seq");
    CHECK(seq > prev); // strictly increasing: no seq stored twice
    prev = seq;
    by_seq[seq] = &e;
  }
  std::size_t missing = 0;
  for (const auto& [seq, a] : acks) {
    auto it = by_seq.find(seq);
    if (it == by_seq.end()) {
      ++missing;
      continue;
    }
    CHECK(field_s(*it->second, "id") == a.id);
    CHECK(to_text(field_o(*it->second, "data")) == to_text(parse_json(a.data)));
  }
  CHECK(missing == 0);
  INFO("acknowledged " << acks.size() << " events over " << rounds << " rounds");
  CHECK(acks.size() > 0u); // -s shows how many
  // Acknowledged keys retried after the crashes: the original, not a new event.
  int retried = 0;
  for (const auto& [seq, a] : acks) {
    if (a.key.empty() || retried >= 5)
      continue;
    ++retried;
    auto dup = publish(h, topic, "{\"data\":" + a.data + ",\"idempotencyKey\":\"" + a.key + "\"}",
                       200);
    CHECK(field_b(dup, "duplicate") == true);
    CHECK(field_i(dup, "seq") == seq);
  }
  // The pre-crash cursor resumes: recovered, every event after it in history, once each.
  CHECK_FALSE(last_seen.empty());
  if (!last_seen.empty()) {
    std::int64_t seen_seq = 0;
    for (const auto& e : events)
      if (field_s(e, "id") == last_seen)
        seen_seq = field_i(e, "seq");
    REQUIRE(seen_seq > 0); // what it got live was stored
    auto c = connect_fabric(d, "resumer");
    auto conf = subscribe(c, {topic}, R"("since":{")" + topic + R"(":")" + last_seen + R"("})");
    CHECK(field_b(conf[topic], "recovered") == true);
    for (std::int64_t seq = seen_seq + 1; seq <= prev; ++seq)
      REQUIRE(field_i(next_event(c), "seq") == seq);
    expect_silence(c, 200ms);
  }
  // Sequences continue after the last stored one.
  auto next = publish(h, topic, R"({"data":{"after":true}})");
  CHECK(field_i(next, "seq") == prev + 1);
}

TEST_CASE("a second daemon on the same data dir exits 2 naming the dir",
          "[integration][durable]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  daemon_process first(durable_args(dir));
  std::vector<std::string> args{"serve", "--listen", "127.0.0.1:0"};
  for (auto& a : durable_args(dir))
    args.push_back(a);
  auto second = run_switchyard(args);
  CHECK(second.exit_code == 2);
  CHECK(second.err.find(dir.store()) != std::string::npos);
  CHECK(second.out.find("listening") == std::string::npos);
  // The first one still serves.
  http_client h(first.port());
  publish(h, "durable.two", R"({"data":{}})");
}

TEST_CASE("check-config exits 2 naming the dir when the store cannot be read",
          "[integration][durable]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  // A file where the store's directory should be.
  { std::ofstream(dir.store()) << "not a store"; }
  std::vector<std::string> args{"check-config"};
  for (auto& a : durable_args(dir))
    args.push_back(a);
  auto checked = run_switchyard(args);
  CHECK(checked.exit_code == 2);
  CHECK(checked.err.find(dir.store()) != std::string::npos);
  args[0] = "serve";
  auto served = run_switchyard(args);
  CHECK(served.exit_code == 2);
  CHECK(served.err.find(dir.store()) != std::string::npos);
}
