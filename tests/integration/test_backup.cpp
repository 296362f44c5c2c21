// Online backup: `switchyard backup --to DIR` against a running node while a publisher is busy;
// a node started on DIR has every event acknowledged before the call and its idempotency keys.
#include "durable_support.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

using namespace sy::test;

namespace {


struct acked {
  std::int64_t seq;
  std::string id;
};

// Every event of a channel, oldest first (bounded pages).
std::vector<json::object> history_of(http_client& h, const std::string& channel) {
  std::vector<json::object> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto res = h.request("GET",
                         "/v1/channels/" + channel + "/events?limit=1000"
                           + (cursor.empty() ? std::string() : "&cursor=" + cursor),
                         "", api_key_auth());
    REQUIRE(res.status == 200);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    for (auto& e : v.as_object()["events"].as_array())
      out.push_back(e.as_object());
    if (!field_b(v.as_object(), "hasMore"))
      break;
    cursor = field_s(v.as_object(), "nextCursor");
  }
  return out;
}

std::string url_of(const daemon_process& d) {
  return "http://127.0.0.1:" + std::to_string(d.port());
}

} // namespace

TEST_CASE("switchyard backup copies a running node and a node started on the copy restores it",
          "[integration][durable][backup]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const std::string target = dir.path + "/backup";
  daemon_process a({"--set", "storage.engine=rocksdb"});
  http_client h(a.port());
  std::map<std::string, std::vector<acked>> keyed; // channel -> its events, key "<ch>-<i>"
  for (const std::string ch : {"backup.one", "backup.two"})
    for (int i = 0; i < 20; ++i) {
      auto ev = publish(h, ch,
                        R"({"data":{"i":)" + std::to_string(i) + R"(},"idempotencyKey":")" + ch
                          + "-" + std::to_string(i) + R"("})");
      keyed[ch].push_back({field_i(ev, "seq"), field_s(ev, "id")});
    }
  // A publisher still busy while the backup runs.
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<std::chrono::steady_clock::time_point, acked>> busy; // answered at
  std::thread publisher([&] {
    http_client p(a.port());
    for (int i = 0; i < 20000 && !stop; ++i) {
      auto res = p.request("POST", "/v1/channels/backup.busy/events",
                           R"({"data":{"i":)" + std::to_string(i) + "}}", api_key_auth());
      if (res.status != 201)
        break;
      auto v = parse_json(res.body);
      std::lock_guard<std::mutex> lock(mu);
      busy.push_back({std::chrono::steady_clock::now(),
                      {field_i(v.as_object(), "seq"), field_s(v.as_object(), "id")}});
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto began = std::chrono::steady_clock::now();
  auto run = run_switchyard({"backup", "--to", target, "--url", url_of(a)});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  publisher.join();
  INFO("backup: " << run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out == target + "\n");
  REQUIRE(std::filesystem::is_directory(target));
  std::vector<acked> before; // acknowledged before the call began: must be in the copy
  std::size_t after = 0;
  for (auto& [at, ev] : busy)
    (at < began ? before.push_back(ev) : void(++after));
  REQUIRE(!before.empty());
  CHECK(after > 0u); // the publisher was still busy during the backup

  // A second backup into the same directory is refused: a backup never overwrites.
  auto again = run_switchyard({"backup", "--to", target, "--url", url_of(a)});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already_exists") != std::string::npos);

  // Restore: a node started on the copy, on a port of its own, while the original still runs.
  daemon_process b({"--set", "storage.engine=rocksdb", "--set", "storage.dir=" + target});
  http_client hb(b.port());
  for (auto& [ch, events] : keyed) {
    auto got = history_of(hb, ch);
    REQUIRE(got.size() == events.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      CHECK(field_i(got[i], "seq") == events[i].seq);
      CHECK(field_s(got[i], "id") == events[i].id);
    }
    // An acknowledged key retried on the copy: the original, not a new event.
    auto dup = publish(hb, ch, R"({"data":{"i":3},"idempotencyKey":")" + ch + R"(-3"})", 200);
    CHECK(field_b(dup, "duplicate") == true);
    CHECK(field_i(dup, "seq") == events[3].seq);
  }
  auto busy_copy = history_of(hb, "backup.busy");
  std::map<std::int64_t, std::string> by_seq;
  for (auto& e : busy_copy)
    by_seq[field_i(e, "seq")] = field_s(e, "id");
  for (auto& ev : before) {
    INFO("seq " << ev.seq);
    CHECK(by_seq.count(ev.seq) == 1);
    CHECK(by_seq[ev.seq] == ev.id);
  }
  // Sequences go on after the last event in the copy.
  auto next = publish(hb, "backup.busy", R"({"data":{"after":true}})");
  CHECK(field_i(next, "seq") == (by_seq.empty() ? 1 : by_seq.rbegin()->first + 1));
}

TEST_CASE("the backup admin call needs the admin right and a store", "[integration][backup]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const std::string body = R"({"to":")" + dir.path + R"(/copy"})";
  SECTION("a token without the admin claim is refused 403") {
    daemon_process d({"--set", "storage.engine=rocksdb"});
    http_client h(d.port());
    auto res = h.request("POST", "/v1/admin/backup", body,
                         {{"Authorization", "Bearer " + token_for("reader")}});
    CHECK(res.status == 403);
    CHECK(!std::filesystem::exists(dir.path + "/copy"));
    auto rel = h.request("POST", "/v1/admin/backup", R"({"to":"relative/dir"})", api_key_auth());
    CHECK(rel.status == 400);
  }
  SECTION("the memory engine has nothing to back up: 404") {
    daemon_process d({"--set", "storage.engine=memory"});
    auto run = run_switchyard({"backup", "--to", dir.path + "/copy", "--url", url_of(d)});
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("404 not_found") != std::string::npos);
  }
  SECTION("no node at the URL: exit 1 naming it") {
    auto run = run_switchyard({"backup", "--to", dir.path + "/copy", "--url", "http://127.0.0.1:1"});
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("http://127.0.0.1:1") != std::string::npos);
  }
}
