// Fabric subscribe/confirm/receive and scope filtering (PROTOCOL.md).
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace sy::test;

TEST_CASE("subscribe confirms each topic and delivers REST publishes", "[integration][fabric]") {
  daemon_process d;
  http_client rest(d.port());
  auto c = connect_fabric(d, "alice");

  auto conf = subscribe(c, {"orders", "audit"});
  for (auto& [topic, o] : conf) {
    INFO("confirmation: " << to_text(o));
    // Field order is part of the contract; no `recovered` without `since`.
    CHECK(keys_of(o) == keys({"op", "topic", "cursor", "replay"}));
    CHECK(o.at("cursor").is_string());
    CHECK(field_i(o, "replay") == 0);
  }

  auto stored = publish(rest, "orders",
                        R"({"type":"created","data":{"n":1,"s":"x"},"metadata":{"k":"v"}})");
  INFO("publish response: " << to_text(stored));
  CHECK(field_s(stored, "channel") == "orders");
  CHECK(field_i(stored, "seq") == 1);
  CHECK(field_s(stored, "id") != "<missing>");
  CHECK(field_s(stored, "id") != "");
  CHECK(is_rfc3339_ms(field_s(stored, "timestamp")));
  CHECK(field_s(stored, "type") == "created");
  CHECK(to_text(stored.at("data")) == R"({"n":1,"s":"x"})");
  CHECK(to_text(stored.at("metadata")) == R"({"k":"v"})");
  CHECK(stored.contains("duplicate"));
  CHECK(field_b(stored, "duplicate", true) == false);

  auto ev = next_event(c);
  INFO("event frame: " << to_text(ev));
  CHECK(keys_of(ev) == keys({"op", "topic", "channel", "seq", "id", "timestamp", "type", "data",
                             "metadata", "snapshot"}));
  CHECK(field_s(ev, "topic") == "orders");
  CHECK(field_s(ev, "channel") == "orders");
  CHECK(field_i(ev, "seq") == 1);
  CHECK(field_s(ev, "id") == field_s(stored, "id"));
  CHECK(field_s(ev, "timestamp") == field_s(stored, "timestamp"));
  CHECK(to_text(ev.at("data")) == R"({"n":1,"s":"x"})");
  CHECK(to_text(ev.at("metadata")) == R"({"k":"v"})");
  CHECK(ev.contains("snapshot"));
  CHECK(field_b(ev, "snapshot", true) == false);

  // An unsubscribed channel is never delivered: the next frame must be the audit event.
  auto other = publish(rest, "elsewhere", R"({"data":1})");
  CHECK(field_s(other, "type") == "message"); // default type
  CHECK(to_text(other.at("metadata")) == "{}");
  publish(rest, "audit", R"({"data":"a"})");
  auto ev2 = next_event(c);
  CHECK(field_s(ev2, "topic") == "audit");
  CHECK(field_i(ev2, "seq") == 1);
  CHECK(to_text(ev2.at("data")) == R"("a")");
  expect_silence(c);

  // Unsubscribe stops delivery.
  REQUIRE(c.send_text(R"({"op":"unsubscribe","topics":["orders"]})"));
  auto un = next_object(c);
  CHECK(to_text(un) == R"({"op":"unsubscribed","topic":"orders"})");
  publish(rest, "orders", R"({"data":2})");
  expect_silence(c);
}

TEST_CASE("scopes deliver only events whose metadata matches", "[integration][fabric]") {
  daemon_process d;
  http_client rest(d.port());
  auto scoped = connect_fabric(d, "scoped");
  auto all = connect_fabric(d, "all");
  subscribe(scoped, {"payload.list"}, R"("scopes":{"payloadId":"123"})");
  subscribe(all, {"payload.list"});

  publish(rest, "payload.list", R"({"data":"A","metadata":{"payloadId":"123"}})");
  publish(rest, "payload.list", R"({"data":"B","metadata":{"payloadId":"456"}})");
  publish(rest, "payload.list", R"({"data":"C"})");
  publish(rest, "payload.list", R"({"data":"D","metadata":{"payloadId":123}})");
  publish(rest, "payload.list", R"({"data":"E","metadata":{"payloadId":"123","other":true}})");
  publish(rest, "payload.list", R"({"data":"F","metadata":{"payloadid":"123"}})");

  // The scoped subscriber: A, D (number 123 equals "123"), E — in channel order.
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i) {
    auto ev = next_event(scoped);
    got.push_back(to_text(ev.at("data")) + "@" + std::to_string(field_i(ev, "seq")));
  }
  CHECK(got == keys({"\"A\"@1", "\"D\"@4", "\"E\"@5"}));
  expect_silence(scoped);

  // The unscoped subscriber on the same channel gets all six.
  for (int seq = 1; seq <= 6; ++seq)
    CHECK(field_i(next_event(all), "seq") == seq);
}

TEST_CASE("wildcard subscriptions deliver each matching channel's events with its own name",
          "[integration][fabric][wildcard]") {
  daemon_process d;
  http_client rest(d.port());
  publish(rest, "postgres:products", R"({"data":"before"})"); // channel older than the pattern
  auto c = connect_fabric(d, "wild");
  auto conf = subscribe(c, {"postgres:*"});
  CHECK(field_i(conf.at("postgres:*"), "replay") == 0);

  publish(rest, "postgres:products", R"({"data":"p1"})");
  publish(rest, "mongo:orders", R"({"data":"m1"})"); // does not match
  publish(rest, "postgres:orders", R"({"data":"p2"})"); // channel newer than the pattern
  std::vector<std::string> got;
  for (int i = 0; i < 2; ++i) {
    auto ev = next_event(c);
    INFO(to_text(ev));
    CHECK(field_s(ev, "topic") == field_s(ev, "channel")); // concrete channel, not the pattern
    got.push_back(field_s(ev, "channel") + "=" + to_text(ev.at("data")));
  }
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{R"(postgres:orders="p2")", R"(postgres:products="p1")"});
  expect_silence(c);

  // since on a pattern is refused; a malformed wildcard is an invalid topic
  c.send_text(R"({"op":"subscribe","topics":["events:*"],"since":{"events:*":"1-1"}})");
  auto err = next_object(c);
  CHECK(field_s(err, "code") == "bad_cursor");
  c.send_text(R"({"op":"subscribe","topics":["a*b"]})");
  CHECK(field_s(next_object(c), "code") == "invalid_topic");

  // after unsubscribe nothing more arrives
  c.send_text(R"({"op":"unsubscribe","topics":["postgres:*"]})");
  CHECK(field_s(next_object(c), "op") == "unsubscribed");
  publish(rest, "postgres:products", R"({"data":"p3"})");
  expect_silence(c);
}
