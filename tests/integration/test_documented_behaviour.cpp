// What PROTOCOL.md promises, held to the server: the idle timeout fires at the documented time,
// nextCursor is never null after a cursor was given, and the topic-limit error frame is the one
// the document shows.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <thread>

using namespace sy::test;

namespace {

using steady = std::chrono::steady_clock;

std::int64_t ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

json::object get_page(http_client& h, const std::string& target) {
  auto r = h.request("GET", target, "", api_key_auth());
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  return v.get_object();
}

} // namespace

TEST_CASE("an idle client is closed at realtime.idle_timeout_ms and not a tick later",
          "[integration][lifecycle][documented]") {
  // The session ticks every min(heartbeat, idle/4) = 750 ms. With the idle check on that tick
  // alone, a client silent from 100 ms after its connect was closed 3650 ms after its last frame.
  daemon_process d({"--set", "realtime.idle_timeout_ms=3000"});
  auto c = connect_fabric(d, "dozer");
  std::this_thread::sleep_for(100ms);
  REQUIRE(c.send_text(R"({"op":"ping"})"));
  auto last_frame = steady::now();
  CHECK(field_s(next_object(c), "op") == "pong");
  auto cs = c.wait_closed(6s);
  auto elapsed = ms_between(last_frame, steady::now());
  REQUIRE(cs.has_value());
  INFO("closed " << elapsed << " ms after the last client frame: " << cs->code);
  CHECK(cs->code == 4002);
  CHECK(elapsed >= 2950);
  CHECK(elapsed <= 3300);
}

TEST_CASE("nextCursor is the given cursor when the channel has retired", "[integration][rest][documented]") {
  // Memory engine, a channel that retires fast: its old cursor names a gone incarnation.
  daemon_process d({"--set", "storage.engine=memory", "--set", "channel.idle_ms=200", "--set",
                    "channel.empty_idle_ms=100"});
  http_client h(d.port());
  auto cursor = field_s(publish(h, "gone.soon", R"({"data":1})"), "id");
  // Untouched for five idle periods, it retires (a read would count as a use).
  std::this_thread::sleep_for(1000ms);
  auto page = get_page(h, "/v1/channels/gone.soon/events?cursor=" + cursor);
  INFO(to_text(page));
  CHECK(page["events"].as_array().empty());
  CHECK(field_s(page, "nextCursor") == cursor);
  CHECK(field_b(page, "recovered", true) == false);

  // The next incarnation's events come after that cursor, the gap flagged.
  auto fresh = field_s(publish(h, "gone.soon", R"({"data":2})"), "id");
  page = get_page(h, "/v1/channels/gone.soon/events?cursor=" + cursor);
  INFO(to_text(page));
  REQUIRE(page["events"].as_array().size() == 1);
  CHECK(field_s(page, "nextCursor") == fresh);
  CHECK(field_b(page, "recovered", true) == false);
}

TEST_CASE("the topic-limit error frame is the one PROTOCOL.md shows", "[integration][limits][documented]") {
  std::ifstream in(SWITCHYARD_SOURCE_DIR "/PROTOCOL.md");
  std::string doc{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  auto at = doc.find(R"({"op":"error","code":"quota_exceeded")");
  REQUIRE(at != std::string::npos);
  auto example = parse_json(doc.substr(at, doc.find('\n', at) - at));
  REQUIRE(example.is_object());

  // The document's example: 32 topics (the default limit), the 33rd refused.
  daemon_process d;
  auto c = connect_fabric(d, "collector");
  std::string topics;
  for (int i = 1; i <= 33; ++i)
    topics += (i > 1 ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":[)" + topics + "]}"));
  json::object error;
  for (int i = 0; i < 33; ++i) {
    auto o = next_object(c);
    if (field_s(o, "op") == "error")
      error = o;
  }
  INFO("server: " << to_text(error) << "\ndocument: " << to_text(example));
  CHECK(json::value(error) == example);
}
