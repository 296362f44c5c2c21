// History TTL against the real daemon (history_ttl_s, history.ttl_s): expired events leave
// pages, resumes and snapshots with either engine, and stay gone after a restart on the store.
#include "fixture.hpp"
#include "durable_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace sy::test;

namespace {

const std::string ttl_namespaces =
  R"(namespaces=[{"prefix":"ttl.","history_size":100,"history_ttl_s":1,"snapshot":10}])";

// Events of `topic` (seq 1..3) published more than a second ago have expired: pages, resumes
// and snapshots skip them, cursors before them are not recovered; fresh events are there.
void check_expiry(daemon_process& d, http_client& h, const std::string& topic) {
  std::vector<std::string> ids;
  for (int i = 1; i <= 3; ++i)
    ids.push_back(field_s(publish(h, topic, R"({"data":{"old":)" + std::to_string(i) + "}}"),
                          "id"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  // Idle since: the next read expires them.
  auto page = history_after(h, topic, "");
  CHECK(page.at("events").as_array().empty());
  page = history_after(h, topic, ids[0]);
  CHECK(page.at("events").as_array().empty());
  CHECK(field_b(page, "recovered", true) == false);
  page = history_after(h, topic, ids[2]); // the head: nothing after it was lost
  CHECK(field_b(page, "recovered", false) == true);
  {
    auto c = connect_fabric(d, "ttl-idle");
    auto [conf, replay] = resume(c, topic, ids[1]);
    CHECK(field_b(conf, "recovered", true) == false);
    CHECK(replay.empty());
  }
  // Fresh events after them: seqs go on, only they are history.
  publish(h, topic, R"({"data":{"fresh":4}})");
  publish(h, topic, R"({"data":{"fresh":5}})");
  page = history_after(h, topic, "");
  CHECK(seqs_of(page.at("events")) == std::vector<std::int64_t>{4, 5});
  page = history_after(h, topic, ids[1]);
  CHECK(field_b(page, "recovered", true) == false);
  CHECK(seqs_of(page.at("events")) == std::vector<std::int64_t>{4, 5});
  page = history_after(h, topic, ids[2]);
  CHECK(field_b(page, "recovered", false) == true);
  CHECK(seqs_of(page.at("events")) == std::vector<std::int64_t>{4, 5});
  auto c = connect_fabric(d, "ttl-fresh");
  auto [conf, replay] = resume(c, topic, ids[0]);
  CHECK(field_b(conf, "recovered", true) == false);
  CHECK(replay == std::vector<std::int64_t>{4, 5});
  auto c2 = connect_fabric(d, "ttl-snapshot");
  auto [snap, snapshot] = resume(c2, topic, "");
  CHECK(snapshot == std::vector<std::int64_t>{4, 5});
}

} // namespace

TEST_CASE("history_ttl_s expires events with the memory engine", "[integration][ttl]") {
  daemon_process d({"--set", "storage.engine=memory", "--set", ttl_namespaces});
  http_client h(d.port());
  check_expiry(d, h, "ttl.memory");
  // A namespace without a TTL keeps its events.
  publish(h, "other.kept", R"({"data":1})");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(history_after(h, "other.kept", "").at("events").as_array().size() == 1);
}

TEST_CASE("history_ttl_s expires stored events and they stay gone after a restart",
          "[integration][durable][ttl]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const auto args = durable_args(dir, {"--set", ttl_namespaces});
  std::string idle_first;
  {
    daemon_process d(args);
    http_client h(d.port());
    check_expiry(d, h, "ttl.stored");
    // A channel nobody touches again before the restart: its events expire in the store.
    idle_first = field_s(publish(h, "ttl.idle", R"({"data":1})"), "id");
    publish(h, "ttl.idle", R"({"data":2})");
    d.terminate(SIGTERM);
    REQUIRE(d.wait_exit(std::chrono::seconds(10)).has_value());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  daemon_process d(args);
  http_client h(d.port());
  for (const char* topic : {"ttl.stored", "ttl.idle"}) {
    INFO(topic);
    CHECK(history_after(h, topic, "").at("events").as_array().empty());
  }
  auto page = history_after(h, "ttl.idle", idle_first);
  CHECK(field_b(page, "recovered", true) == false);
  // The channels keep their places: seqs continue after the expired ones.
  CHECK(field_i(publish(h, "ttl.stored", R"({"data":6})"), "seq") == 6);
  CHECK(field_i(publish(h, "ttl.idle", R"({"data":3})"), "seq") == 3);
  CHECK(seqs_of(history_after(h, "ttl.idle", "").at("events")) == std::vector<std::int64_t>{3});
}

