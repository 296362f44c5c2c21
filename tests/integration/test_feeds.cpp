// Layeron-style feed routes on channel feed_<feedId>, seen by a Fabric subscriber.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

TEST_CASE("feed events and control commands travel on feed_<id>", "[integration][feeds]") {
  daemon_process d;
  http_client rest(d.port());
  auto c = connect_fabric(d, "dashboard");
  subscribe(c, {"feed_f1"});
  auto auth = api_key_auth();
  auth.emplace_back("Content-Type", "application/json");

  const std::string body =
    R"({"type":"reading","eventId":"e-1","payload":{"v":42},"source":"sensor-7"})";
  auto res = rest.request("POST", "/feeds/f1/events", body, auth);
  INFO("POST /feeds/f1/events -> " << res.status << " " << res.body);
  REQUIRE(res.status == 201);
  auto ev = parse_json(res.body).as_object();
  CHECK(field_s(ev, "channel") == "feed_f1");
  CHECK(field_s(ev, "type") == "reading");
  CHECK(field_s(ev, "idempotencyKey") == "e-1");
  auto& data = field_o(ev, "data");
  CHECK(keys_of(data) == keys({"feedId", "eventId", "payload", "receivedAt"}));
  CHECK(field_s(data, "feedId") == "f1");
  CHECK(field_s(data, "eventId") == "e-1");
  CHECK(to_text(data.at("payload")) == R"({"v":42})");
  CHECK(is_rfc3339_ms(field_s(data, "receivedAt")));
  CHECK(to_text(ev.at("metadata")) == R"({"source":"sensor-7"})");

  // A producer retry with the same eventId is a duplicate, not a second event.
  auto retry = rest.request("POST", "/feeds/f1/events", body, auth);
  INFO("retry -> " << retry.status << " " << retry.body);
  CHECK(retry.status == 200);
  auto dup = parse_json(retry.body);
  REQUIRE(dup.is_object());
  CHECK(field_b(dup.as_object(), "duplicate") == true);
  CHECK(field_s(dup.as_object(), "id") == field_s(ev, "id"));

  auto hist = rest.request("GET", "/feeds/f1/events?limit=10", "", api_key_auth());
  INFO("history -> " << hist.status << " " << hist.body);
  REQUIRE(hist.status == 200);
  auto hist_body = parse_json(hist.body);
  REQUIRE(hist_body.is_object());
  auto& events = hist_body.as_object().at("events").as_array();
  REQUIRE(events.size() == 1);
  CHECK(field_s(events[0].as_object(), "id") == field_s(ev, "id"));

  auto ctl = rest.request("POST", "/feeds/f1/control",
                          R"({"action":"pause","target":"ingest","commandId":"cmd-1"})", auth);
  INFO("control -> " << ctl.status << " " << ctl.body);
  REQUIRE(ctl.status == 201);
  auto cev = parse_json(ctl.body).as_object();
  CHECK(field_s(cev, "channel") == "feed_f1");
  CHECK(field_s(cev, "type") == "feed.control");
  CHECK(field_s(cev, "idempotencyKey") == "cmd-1");
  auto& cdata = field_o(cev, "data");
  CHECK(keys_of(cdata) == keys({"action", "target", "requestedAt"}));
  CHECK(field_s(cdata, "action") == "pause");
  CHECK(field_s(cdata, "target") == "ingest");
  CHECK(is_rfc3339_ms(field_s(cdata, "requestedAt")));

  // Without `source` the metadata says "api".
  auto nosrc = rest.request("POST", "/feeds/f1/events", R"({"type":"reading","eventId":"e-2","payload":1})", auth);
  REQUIRE(nosrc.status == 201);
  CHECK(to_text(parse_json(nosrc.body).as_object().at("metadata")) == R"({"source":"api"})");

  // The Fabric subscriber sees exactly the three distinct events, in order.
  auto f1 = next_event(c);
  CHECK(field_s(f1, "type") == "reading");
  CHECK(field_s(f1, "id") == field_s(ev, "id"));
  CHECK(to_text(f1.at("data")) == to_text(ev.at("data")));
  auto f2 = next_event(c);
  CHECK(field_s(f2, "type") == "feed.control");
  CHECK(field_s(f2, "id") == field_s(cev, "id"));
  auto f3 = next_event(c);
  CHECK(field_i(f3, "seq") == 3);
  expect_silence(c);
}
