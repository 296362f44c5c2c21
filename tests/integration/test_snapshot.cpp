// Snapshot namespaces: configured (`namespaces`) and built-in (`tunnel.` sends the last event).
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

TEST_CASE("configured snapshot replays the last N events, then live", "[integration][snapshot]") {
  daemon_process d({"--set", R"(namespaces=[{"prefix":"snap.","history_size":50,"snapshot":3}])"});
  http_client rest(d.port());
  std::vector<std::string> ids;
  for (int i = 1; i <= 5; ++i)
    ids.push_back(field_s(publish(rest, "snap.x", R"({"data":{"i":)" + std::to_string(i) + "}}"), "id"));

  auto c = connect_fabric(d, "snapper");
  auto conf = subscribe(c, {"snap.x"})["snap.x"];
  INFO("confirmation: " << to_text(conf));
  CHECK(field_i(conf, "replay") == 3);
  CHECK(field_s(conf, "cursor") == ids[4]);
  CHECK_FALSE(conf.contains("recovered"));

  for (int seq = 3; seq <= 5; ++seq) {
    auto ev = next_event(c);
    INFO("snapshot frame: " << to_text(ev));
    CHECK(field_i(ev, "seq") == seq);
    CHECK(field_s(ev, "id") == ids[seq - 1]);
    CHECK(field_b(ev, "snapshot") == true);
    CHECK(to_text(ev.at("data")) == "{\"i\":" + std::to_string(seq) + "}");
  }
  auto live_id = field_s(publish(rest, "snap.x", R"({"data":{"i":6}})"), "id");
  auto live = next_event(c);
  CHECK(field_i(live, "seq") == 6);
  CHECK(field_s(live, "id") == live_id);
  CHECK(field_b(live, "snapshot", true) == false);
  expect_silence(c, 300ms);
}

TEST_CASE("built-in tunnel. namespace sends the last event as snapshot", "[integration][snapshot]") {
  daemon_process d;
  http_client rest(d.port());
  for (int i = 1; i <= 3; ++i)
    publish(rest, "tunnel.status", R"({"data":{"up":)" + std::to_string(i) + "}}");
  for (int i = 1; i <= 3; ++i)
    publish(rest, "plain.topic", R"({"data":1})");

  auto c = connect_fabric(d, "tunnel-watch");
  auto conf = subscribe(c, {"tunnel.status"})["tunnel.status"];
  CHECK(field_i(conf, "replay") == 1);
  auto ev = next_event(c);
  CHECK(field_i(ev, "seq") == 3);
  CHECK(field_b(ev, "snapshot") == true);
  CHECK(to_text(ev.at("data")) == R"({"up":3})");
  expect_silence(c, 300ms);

  // A channel without a snapshot setting replays nothing on a plain subscribe.
  auto plain = subscribe(c, {"plain.topic"})["plain.topic"];
  CHECK(field_i(plain, "replay") == 0);
  expect_silence(c, 300ms);
}
