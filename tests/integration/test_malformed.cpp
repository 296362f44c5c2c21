// Malformed client input: error frames keep the connection; protocol violations close it with
// the documented code; other clients on the daemon are unaffected throughout.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

TEST_CASE("malformed frames get error frames or documented closes", "[integration][malformed]") {
  daemon_process d;
  http_client rest(d.port());
  auto bystander = connect_fabric(d, "bystander");
  subscribe(bystander, {"live"});
  std::int64_t published = 0;
  // Publishes one event and checks the bystander still gets it.
  auto bystander_receives = [&](const char* stage) {
    INFO("bystander after: " << stage);
    publish(rest, "live", R"({"data":")" + std::string(stage) + "\"}");
    ++published;
    auto ev = next_event(bystander);
    CHECK(field_i(ev, "seq") == published);
  };

  // The whole oversized frame must sit in the kernel before the server rejects it: Beast's
  // teardown drains only one read, so a client still writing would see a reset instead of 1009.
  ws_connect_options big_send;
  big_send.sndbuf_bytes = 1 << 20;
  auto c = connect_fabric(d, "clumsy", big_send);
  auto expect_error = [&](const std::string& frame, const char* code, const char* topic = nullptr) {
    INFO("sent: " << frame);
    REQUIRE(c.send_text(frame));
    auto err = next_object(c);
    INFO("received: " << to_text(err));
    CHECK(field_s(err, "op") == "error");
    CHECK(field_s(err, "code") == code);
    CHECK(err.contains("message"));
    if (topic)
      CHECK(field_s(err, "topic") == topic);
    // The connection stays usable.
    REQUIRE(c.send_text(R"({"op":"ping"})"));
    CHECK(to_text(next_object(c)) == R"({"op":"pong"})");
  };

  expect_error("this is not json", "bad_json");
  expect_error("{\"op\":", "bad_json");
  expect_error(R"({"op":"nope"})", "unknown_op");
  expect_error(R"({"op":"subscribe","topics":"x"})", "bad_request");
  expect_error(R"({"op":"subscribe","topics":[]})", "bad_request");
  expect_error(R"({"op":"subscribe","topics":[1]})", "bad_request");
  expect_error(R"({"op":"subscribe","topics":["a"],"scopes":[1]})", "bad_request");
  expect_error(R"({"topics":["a"]})", "bad_request");
  expect_error(R"([1,2,3])", "bad_request");
  expect_error(R"({"op":"subscribe","topics":["bad topic!"]})", "invalid_topic", "bad topic!");
  expect_error(R"({"op":"subscribe","topics":[")" + std::string(201, 'a') + "\"]}", "invalid_topic");
  bystander_receives("error frames");

  SECTION("binary frame closes with 1003") {
    REQUIRE(c.send_binary(std::string("\x01\x02\x03", 3)));
    auto cs = c.wait_closed(3s);
    REQUIRE(cs.has_value());
    INFO("close: " << cs->code << " '" << cs->reason << "' " << cs->error);
    CHECK(cs->code == 1003);
    CHECK(cs->reason == "binary frames are not supported");
    bystander_receives("binary close");
  }

  SECTION("oversized text frame closes with 1009") {
    // Valid JSON (a ping padded with whitespace), so only the size can be the reason.
    c.send_text(R"({"op":"ping"})" + std::string(70 * 1024, ' '));
    auto cs = c.wait_closed(3s);
    REQUIRE(cs.has_value());
    INFO("close: " << cs->code << " '" << cs->reason << "' " << cs->error);
    CHECK(cs->code == 1009);
    bystander_receives("oversize close");
    // A frame just under the limit is still fine for another client.
    auto c2 = connect_fabric(d, "big-but-ok");
    REQUIRE(c2.send_text(R"({"op":"ping"})" + std::string(60 * 1024, ' ')));
    CHECK(to_text(next_object(c2)) == R"({"op":"pong"})");
  }
}

TEST_CASE("WebSocket framing: pings, fragmented messages, invalid UTF-8", "[integration][framing]") {
  daemon_process d;
  auto c = connect_fabric(d, "framing");

  // A protocol-level ping is answered with a pong.
  CHECK(c.ping());

  // A text message split over three frames is reassembled into one command.
  REQUIRE(c.send_fragmented({R"({"op":)", R"("pi)", R"(ng"})"}));
  CHECK(to_text(next_object(c)) == R"({"op":"pong"})");

  // Text that is not UTF-8 closes with 1007.
  REQUIRE(c.send_text(std::string("{\"op\":\"ping\",\"x\":\"\xc3\x28\"}")));
  auto cs = c.wait_closed(3s);
  REQUIRE(cs.has_value());
  INFO("close: " << cs->code << " '" << cs->reason << "' " << cs->error);
  CHECK(cs->code == 1007);
}
