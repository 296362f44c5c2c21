// Replies to one connection's commands leave in the order the commands arrived, in every
// dialect: a refusal decided at once by the session waits behind the confirmations the channels
// have not sent yet (PROTOCOL.md *Reply order*).
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

namespace {

std::string ws_token(const std::string& sub, const std::string& workspace) {
  return token_for(sub, 3600, R"("workspaces":[")" + workspace + "\"]");
}

} // namespace

TEST_CASE("SnackBase: 101 subscribes in one burst get 100 confirmations, then the refusal",
          "[integration][order]") {
  daemon_process d;
  ws_client c;
  REQUIRE(c.connect(d.port(), "/api/v1/realtime/ws?token=" + ws_token("sam", "default")) == 101);
  for (int i = 0; i <= 100; ++i)
    REQUIRE(c.send_text(R"({"action":"subscribe","collection":"c)" + std::to_string(i) + "\"}"));
  for (int i = 0; i < 100; ++i) {
    auto o = next_object(c);
    INFO("reply " << i << ": " << to_text(o));
    REQUIRE(field_s(o, "status") == "subscribed");
    CHECK(field_s(o, "collection") == "c" + std::to_string(i)); // in command order
  }
  auto err = next_object(c);
  INFO(to_text(err));
  CHECK(field_s(err, "status") == "error");
  CHECK(field_s(err, "code") == "quota_exceeded");
  CHECK(field_s(err, "collection") == "c100");
  // The connection stays and answers in order after that too.
  REQUIRE(c.send_text(R"({"action":"unsubscribe","collection":"c0"})"));
  REQUIRE(c.send_text(R"({"action":"subscribe","collection":"c100"})"));
  REQUIRE(c.send_text(R"({"action":"ping"})"));
  CHECK(to_text(next_object(c)) == R"({"status":"unsubscribed","collection":"c0"})");
  CHECK(to_text(next_object(c)) == R"({"status":"subscribed","collection":"c100"})");
  CHECK(to_text(next_object(c)) == R"({"type":"pong"})");
}

TEST_CASE("gateway: 33 subscribes in one burst get 32 confirmations, then close 4008",
          "[integration][order]") {
  daemon_process d;
  ws_client c;
  ws_connect_options o;
  o.headers = {{"Authorization", "Bearer " + ws_token("alice", "acme")}};
  REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect", o) == 101);
  for (int i = 0; i <= 32; ++i)
    REQUIRE(c.send_text(R"({"type":"subscribe","channel":"postgres:t)" + std::to_string(i)
                        + "\"}"));
  for (int i = 0; i < 32; ++i) {
    auto f = c.read_json(3s);
    INFO("reply " << i << ": " << to_text(f));
    REQUIRE(f.is_object());
    CHECK(field_s(f.as_object(), "type") == "subscribed");
    CHECK(field_s(f.as_object(), "channel") == "postgres:t" + std::to_string(i));
  }
  auto st = c.wait_closed(3s);
  REQUIRE(st);
  CHECK(st->code == 4008);
  CHECK(st->reason == "quota_exceeded");
}

TEST_CASE("Fabric: replies keep command order across confirmations, refusals and pongs",
          "[integration][order]") {
  daemon_process d({}, {{"REALTIME_TOPIC_LIMIT", "2"}});
  auto c = connect_fabric(d, "orderly");
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":["a","bad topic","b","c"]})"));
  REQUIRE(c.send_text(R"({"op":"ping"})"));
  auto a = next_object(c);
  INFO(to_text(a));
  CHECK(field_s(a, "op") == "subscribed");
  CHECK(field_s(a, "topic") == "a");
  auto bad = next_object(c);
  INFO(to_text(bad));
  CHECK(field_s(bad, "code") == "invalid_topic");
  auto b = next_object(c);
  INFO(to_text(b));
  CHECK(field_s(b, "op") == "subscribed");
  CHECK(field_s(b, "topic") == "b");
  auto over = next_object(c);
  INFO(to_text(over));
  CHECK(field_s(over, "code") == "quota_exceeded");
  CHECK(field_s(over, "topic") == "c");
  CHECK(to_text(next_object(c)) == R"({"op":"pong"})");
  // A publish after the confirmations arrives after them.
  http_client rest(d.port());
  publish(rest, "a", R"({"data":1})");
  CHECK(field_i(next_event(c), "seq") == 1);
}
