// storage.cache_bytes against the real daemon: 64 KiB events with unique idempotency keys over
// 27 channels (the flood that took an unbounded daemon to 2.6 GB) keep the peak resident size
// under the bound plus a fixed overhead, with either engine. With rocksdb every event is still
// readable (from disk); with memory an evicted event is gone and its cursor says so.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <thread>

using namespace sy::test;

namespace {

// A /proc/<pid>/status field in KiB (VmHWM: the peak resident size), 0 when unreadable.
std::int64_t status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stoll(line.substr(field.size() + 1));
  return 0;
}

constexpr int channels = 27;
constexpr int per_channel = 120; // 3,240 events of 64 KiB: 212 MB of payload
constexpr std::int64_t cache_mib = 16;

// Publishes the flood from 4 connections; returns the count of 201s.
int flood(const daemon_process& d) {
  const std::string blob(64 * 1024 - 100, 'x');
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      http_client h(d.port(), 10s);
      for (int i = t; i < channels * per_channel; i += 4) {
        auto body = R"({"data":{"blob":")" + blob + R"("},"idempotencyKey":"u)"
                    + std::to_string(i) + R"("})";
        auto res = h.request("POST", "/v1/channels/abuse." + std::to_string(i % channels)
                                       + "/events", body, api_key_auth());
        if (res.status == 201)
          created++;
      }
    });
  for (auto& t : threads)
    t.join();
  return created.load();
}

std::vector<std::string> bound_args(const std::string& engine) {
  return {"--set", "storage.engine=" + engine, "--set",
          "storage.cache_bytes=" + std::to_string(cache_mib << 20), "--set",
          "realtime.outbound_queue_bytes=" + std::to_string(16 << 20)};
}

// Floods the daemon and checks its peak resident size against the bound plus `overhead_mib`.
void flood_within(const daemon_process& d, std::int64_t overhead_mib) {
  REQUIRE(flood(d) == channels * per_channel);
  auto peak_mib = status_kib(d.pid(), "VmHWM") / 1024;
  INFO("peak RSS " << peak_mib << " MiB with storage.cache_bytes " << cache_mib << " MiB");
#ifndef SY_SANITIZED // ASan's quarantine keeps freed blocks in RSS: the Release job checks it
  CHECK(peak_mib < cache_mib + overhead_mib);
#else
  (void)overhead_mib;
#endif
}

} // namespace

TEST_CASE("with rocksdb 64 KiB events on 27 channels stay under storage.cache_bytes and readable",
          "[integration][durable][memory]") {
  daemon_process d(bound_args("rocksdb"));
  // The fixed overhead: code, RocksDB's memtables (64 MiB each), buffers. Unbounded, the
  // retained events alone would be about 3 x 212 MB.
  flood_within(d, 180);
  // Every event is still there: the hot tails hold a few, the rest is read from disk.
  http_client h(d.port());
  std::vector<std::int64_t> seqs;
  std::string cursor;
  // A page stops before history.max_page_bytes (1 MiB): read on until all are seen (bounded).
  for (int page = 0; page < 200; ++page) {
    auto res = h.request("GET", "/v1/channels/abuse.3/events?limit=1000"
                                  + (cursor.empty() ? std::string() : "&cursor=" + cursor),
                         "", api_key_auth());
    REQUIRE(res.status == 200);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    const auto& o = v.as_object();
    for (const auto& e : o.at("events").as_array())
      seqs.push_back(field_i(e.as_object(), "seq"));
    if (!field_b(o, "hasMore"))
      break;
    cursor = field_s(o, "nextCursor");
  }
  REQUIRE(seqs.size() == static_cast<std::size_t>(per_channel));
  for (std::size_t i = 0; i < seqs.size(); ++i)
    CHECK(seqs[i] == static_cast<std::int64_t>(i + 1));
  // A resume from the first event replays every later one, recovered (the replay goes out at
  // once: realtime.outbound_queue_bytes is raised to hold it).
  auto c = connect_fabric(d, "resumer");
  auto first = h.request("GET", "/v1/channels/abuse.3/events?limit=1", "", api_key_auth());
  auto fv = parse_json(first.body);
  REQUIRE(fv.is_object());
  auto first_id = field_s(fv.as_object().at("events").as_array().at(0).as_object(), "id");
  auto conf = subscribe(c, {"abuse.3"}, R"("since":{"abuse.3":")" + first_id + R"("})");
  CHECK(field_b(conf["abuse.3"], "recovered") == true);
  for (int seq = 2; seq <= per_channel; ++seq)
    REQUIRE(field_i(next_event(c), "seq") == seq);
}

TEST_CASE("with the memory engine storage.cache_bytes bounds retained events and evicts the oldest",
          "[integration][memory]") {
  daemon_process d(bound_args("memory"));
  flood_within(d, 120);
  // The oldest events of a channel are gone: a cursor at its first event is not recovered,
  // and the replay starts at the oldest event kept.
  http_client h(d.port());
  auto res = h.request("GET", "/v1/channels/abuse.3/events?limit=1000", "", api_key_auth());
  REQUIRE(res.status == 200);
  auto v = parse_json(res.body);
  auto& events = v.as_object()["events"].as_array();
  REQUIRE_FALSE(events.empty());
  auto oldest = field_i(events[0].as_object(), "seq");
  CHECK(oldest > 1);
  auto id = field_s(events[0].as_object(), "id");
  auto epoch_part = id.substr(0, id.find('-') + 1); // cursors are "<epoch>-<seq>"
  auto c = connect_fabric(d, "resumer");
  auto conf = subscribe(c, {"abuse.3"}, R"("since":{"abuse.3":")" + epoch_part + "1\"}");
  CHECK(field_b(conf["abuse.3"], "recovered") == false);
  CHECK(field_i(next_event(c), "seq") == oldest);
}

// A resume whose replay comes from disk (the hot tail holds a few events) while a publisher
// keeps publishing: every event after the cursor arrives once, in order, replay then live.
TEST_CASE("a resume read from disk while publishers are busy has no gap and no duplicate",
          "[integration][durable][memory]") {
  daemon_process d({"--set", "storage.engine=rocksdb", "--set",
                    "storage.cache_bytes=" + std::to_string(1 << 20), "--set",
                    "realtime.outbound_queue_bytes=" + std::to_string(64 << 20)});
  const std::string topic = "disk.resume";
  const std::string pad(8 * 1024, 'p');
  http_client h(d.port());
  std::string cursor;
  for (int i = 1; i <= 300; ++i) {
    auto ev = publish(h, topic, R"({"data":{"i":)" + std::to_string(i) + R"(,"p":")" + pad + "\"}}");
    if (i == 10)
      cursor = field_s(ev, "id");
  }
  constexpr int total = 800;
  std::atomic<int> published{300};
  std::thread publisher([&] {
    http_client p(d.port(), 5s);
    for (int i = 301; i <= total; ++i) {
      auto res = p.request("POST", "/v1/channels/" + topic + "/events",
                           R"({"data":{"i":)" + std::to_string(i) + R"(,"p":")" + pad + "\"}}",
                           api_key_auth());
      if (res.status != 201)
        break;
      published++;
    }
  });
  std::this_thread::sleep_for(20ms); // the resume lands among the publishes
  auto c = connect_fabric(d, "resumer");
  auto conf = subscribe(c, {topic}, R"("since":{")" + topic + R"(":")" + cursor + R"("})");
  CHECK(field_b(conf[topic], "recovered") == true);
  std::int64_t expect = 11;
  for (; expect <= total; ++expect) {
    auto ev = next_event(c, 5s);
    REQUIRE(field_i(ev, "seq") == expect);
  }
  publisher.join();
  CHECK(published.load() == total);
  expect_silence(c, 200ms);
}
