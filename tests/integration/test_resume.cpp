// Resume with `since`: no gap and no duplicate across a reconnect while a publisher keeps going;
// cursors outside the history window; malformed cursors.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace sy::test;

namespace {

struct seen_event {
  std::int64_t seq;
  std::string id;
  std::string data;
};

} // namespace

TEST_CASE("resume after an abrupt disconnect has no gap and no duplicate", "[integration][resume]") {
  constexpr int total = 300;
  const std::string topic = "resume.t";
  daemon_process d;

  auto first = connect_fabric(d, "resumer");
  subscribe(first, {topic});

  // The publisher is sequential, so seq k carries {"i":k}. Assertions stay on the main thread.
  std::vector<int> statuses;
  std::atomic<int> published{0};
  std::thread publisher([&] {
    http_client rest(d.port());
    auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int i = 1; i <= total && std::chrono::steady_clock::now() < deadline; ++i) {
      auto res = rest.request("POST", "/v1/channels/" + topic + "/events",
                              R"({"data":{"i":)" + std::to_string(i) + "}}", api_key_auth());
      statuses.push_back(res.status);
      if (res.status != 201)
        break;
      published = i;
      std::this_thread::sleep_for(2ms); // keeps publishing across the reconnect below
    }
  });
  struct join_guard {
    std::thread& t;
    ~join_guard() { if (t.joinable()) t.join(); }
  } guard{publisher};

  std::vector<seen_event> seen;
  auto read_into = [&](ws_client& c, std::size_t until_count, std::chrono::seconds budget) {
    auto deadline = std::chrono::steady_clock::now() + budget;
    while (seen.size() < until_count && std::chrono::steady_clock::now() < deadline) {
      auto v = c.read_json(3s);
      if (!v.is_object())
        break;
      auto& o = v.as_object();
      if (field_s(o, "op") != "event") {
        FAIL_CHECK("unexpected frame while streaming: " << to_text(o));
        continue;
      }
      seen.push_back({field_i(o, "seq"), field_s(o, "id"), to_text(o.at("data"))});
    }
  };

  read_into(first, 60, 10s);
  REQUIRE(seen.size() >= 60);
  first.abort(); // no close frame: a crashed client
  int published_at_disconnect = published;
  std::string last_id = seen.back().id;

  auto second = connect_fabric(d, "resumer");
  auto conf =
    subscribe(second, {topic}, R"("since":{")" + topic + R"(":)" + json::serialize(json::value(last_id)) + "}")[topic];
  INFO("resume confirmation: " << to_text(conf));
  CHECK(keys_of(conf) == keys({"op", "topic", "cursor", "replay", "recovered"}));
  CHECK(field_b(conf, "recovered") == true);
  CHECK(field_i(conf, "replay") >= 0);

  read_into(second, total, 20s);
  publisher.join();

  INFO("published before disconnect: " << published_at_disconnect << ", total " << published);
  REQUIRE(statuses.size() == static_cast<std::size_t>(total));
  CHECK(std::all_of(statuses.begin(), statuses.end(), [](int s) { return s == 201; }));
  if (published_at_disconnect >= total)
    WARN("publisher finished before the disconnect; the concurrency part was not exercised");

  // Exactly 1..N, in order, each once; data matches seq.
  REQUIRE(seen.size() == static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) {
    INFO("position " << i);
    CHECK(seen[i].seq == i + 1);
    CHECK(seen[i].data == "{\"i\":" + std::to_string(i + 1) + "}");
  }
  expect_silence(second, 300ms);
}

TEST_CASE("resume from a cursor that left the history window", "[integration][resume]") {
  daemon_process d({"--set", "history.size=5"});
  http_client rest(d.port());
  std::vector<std::string> ids;
  for (int i = 1; i <= 20; ++i)
    ids.push_back(field_s(publish(rest, "win", R"({"data":)" + std::to_string(i) + "}"), "id"));

  auto c = connect_fabric(d, "late");
  auto conf = subscribe(c, {"win"}, R"("since":{"win":)" + json::serialize(json::value(ids[0])) + "}")["win"];
  INFO("confirmation: " << to_text(conf));
  CHECK(field_b(conf, "recovered", true) == false);
  CHECK(field_s(conf, "cursor") == ids[19]);
  // Everything still retained (the last 5) is replayed, oldest first.
  CHECK(field_i(conf, "replay") == 5);
  for (int seq = 16; seq <= 20; ++seq) {
    auto ev = next_event(c);
    CHECK(field_i(ev, "seq") == seq);
    CHECK(field_b(ev, "snapshot", true) == false);
  }
  expect_silence(c, 300ms);

  // REST history says the same: recovered:false, the retained events from the oldest.
  auto res = rest.request("GET", "/v1/channels/win/events?cursor=" + ids[0], "", api_key_auth());
  INFO("history: " << res.status << " " << res.body);
  REQUIRE(res.status == 200);
  auto hist = parse_json(res.body);
  REQUIRE(hist.is_object());
  CHECK(field_b(hist.as_object(), "recovered", true) == false);
  auto& events = hist.as_object().at("events").as_array();
  REQUIRE(events.size() == 5);
  CHECK(field_i(events[0].as_object(), "seq") == 16);

  // A cursor still inside the window recovers: seq 19 and 20 follow.
  auto c2 = connect_fabric(d, "inside");
  auto conf2 = subscribe(c2, {"win"}, R"("since":{"win":)" + json::serialize(json::value(ids[17])) + "}")["win"];
  CHECK(field_b(conf2, "recovered") == true);
  CHECK(field_i(conf2, "replay") == 2);
  CHECK(field_i(next_event(c2), "seq") == 19);
  CHECK(field_i(next_event(c2), "seq") == 20);
}

TEST_CASE("a malformed since cursor is an error frame and no subscription", "[integration][resume]") {
  daemon_process d;
  http_client rest(d.port());
  auto c = connect_fabric(d, "bad-cursor");
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":["win"],"since":{"win":"garbage!"}})"));
  auto err = next_object(c);
  INFO("frame: " << to_text(err));
  CHECK(field_s(err, "op") == "error");
  CHECK(field_s(err, "code") == "bad_cursor");
  CHECK(field_s(err, "topic") == "win");
  CHECK(err.at("message").is_string());
  CHECK(keys_of(err) == keys({"op", "code", "topic", "message"}));

  publish(rest, "win", R"({"data":1})");
  expect_silence(c);
  // The connection is still usable.
  REQUIRE(c.send_text(R"({"op":"ping"})"));
  CHECK(to_text(next_object(c)) == R"({"op":"pong"})");
}
