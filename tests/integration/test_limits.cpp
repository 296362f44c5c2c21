// What one client can make the router hold: the bytes of a history page, the idempotency
// window's memory. Each bound refuses or trims with its documented answer while everyone else
// keeps being served.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

using namespace sy::test;

namespace {

// Resident memory of a process in KiB, from /proc (0 when unreadable).
std::int64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoll(line.substr(6));
  return 0;
}

std::string history_target(const std::string& channel, const std::string& cursor) {
  return "/v1/channels/" + channel + "/events?limit=1000"
         + (cursor.empty() ? "" : "&cursor=" + cursor);
}

} // namespace

TEST_CASE("history pages stop at history.max_page_bytes and nextCursor continues",
          "[integration][rest]") {
  daemon_process d({"--set", "history.max_page_bytes=4096"});
  http_client rest(d.port());
  const std::string text(1000, 'x');
  for (int i = 0; i < 10; ++i)
    publish(rest, "big", R"({"data":")" + text + R"("})");
  publish(rest, "big", R"({"data":")" + std::string(6000, 'y') + R"("})"); // over a page alone

  std::vector<std::int64_t> seqs;
  std::vector<std::size_t> sizes;
  std::string cursor;
  bool more = true;
  for (int page = 0; page < 12 && more; ++page) {
    auto res = rest.request("GET", history_target("big", cursor), "", api_key_auth());
    INFO("page " << page << ": " << res.status);
    REQUIRE(res.status == 200);
    auto o = parse_json(res.body).as_object();
    auto& events = o.at("events").as_array();
    CHECK((events.size() == 1 || res.body.size() <= 4096 + 200));
    sizes.push_back(events.size());
    for (auto& e : events)
      seqs.push_back(field_i(e.as_object(), "seq"));
    if (!events.empty())
      CHECK(field_s(o, "nextCursor") == field_s(events.back().as_object(), "id"));
    cursor = field_s(o, "nextCursor");
    more = field_b(o, "hasMore");
  }
  std::vector<std::int64_t> want;
  for (int i = 1; i <= 11; ++i)
    want.push_back(i);
  CHECK(seqs == want);
  CHECK(sizes.front() == 3); // ~1.1 KB each: the fourth would pass 4 KiB
  CHECK(sizes.back() == 1);  // the 6 KB event makes a page of its own
}

TEST_CASE("a retry whose event left the history gets the original's receipt",
          "[integration][rest]") {
  daemon_process d({"--set", "history.size=2"});
  http_client rest(d.port());
  auto first = publish(rest, "rcpt",
                       R"({"type":"order","data":{"n":1},"idempotencyKey":"k-1","correlationId":"c-1"})");
  publish(rest, "rcpt", R"({"data":2})");
  publish(rest, "rcpt", R"({"data":3})");
  auto again = publish(rest, "rcpt", R"({"data":{"n":1},"idempotencyKey":"k-1"})", 200);
  INFO(to_text(again));
  CHECK(keys_of(again) == keys({"channel", "seq", "id", "timestamp", "type", "idempotencyKey",
                                "correlationId", "duplicate"}));
  for (const char* k : {"channel", "id", "timestamp", "type", "idempotencyKey", "correlationId"})
    CHECK(field_s(again, k) == field_s(first, k));
  CHECK(field_i(again, "seq") == 1);
  CHECK(field_b(again, "duplicate") == true);
}

TEST_CASE("the idempotency window does not keep events alive", "[integration][rest]") {
  // Large events with unique keys on one channel: the history keeps 10, the window only
  // receipts. Holding the events for the window grew the daemon by ~180 KB per publish.
  daemon_process d({"--set", "history.size=10"});
  http_client rest(d.port());
  const std::string data = R"({"data":")" + std::string(60 * 1024, 'd') + R"(","idempotencyKey":"k-)";
  auto publish_range = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      auto res = rest.request("POST", "/v1/channels/heavy/events",
                              data + std::to_string(i) + "\"}", api_key_auth());
      if (res.status != 201) {
        FAIL("publish " << i << ": " << res.status << " " << res.body);
      }
    }
  };
  publish_range(0, 50); // warm up: allocator arenas, the history ring full
  auto before = rss_kib(d.pid());
  publish_range(50, 850);
  auto after = rss_kib(d.pid());
  INFO("RSS before " << before << " KiB, after " << after << " KiB");
  REQUIRE(before > 0);
  CHECK(after - before < 48 * 1024); // 800 held events would be ~140 MB
  // A duplicate of the first key is still recognised.
  auto dup = rest.request("POST", "/v1/channels/heavy/events", data + "0\"}", api_key_auth());
  CHECK(dup.status == 200);
}
