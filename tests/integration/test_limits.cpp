// What one client can make the router hold: the bytes of a history page. Each bound refuses or
// trims with its documented answer while everyone else keeps being served.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace sy::test;

namespace {

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
