// Golden tests for the SnackBase dialect (schema/dialects/snackbase/): exact JSON in, exact
// JSON out, and the frames encode_event builds once per event.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "change_event.hpp"
#include "schema/codes.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/dialects/snackbase/snackbase.hpp"

using namespace sy;
namespace json = boost::json;
using sy::test::change_event;

TEST_CASE("SnackBase: deletes carry the removed row, updates the new one", "[codec][snackbase]") {
  auto del = encode_event(change_event(
    "ws.default.postgres:posts",
    R"({"operation":"DELETE","table":"posts","record":null,"oldRecord":{"id":"p1"}})"));
  CHECK(*del.frame(dialect::snackbase)
        == R"({"type":"posts.delete","timestamp":"2024-01-15T10:00:00.000Z","data":{"id":"p1"}})");
  auto upd = encode_event(change_event(
    "ws.default.postgres:posts",
    R"({"operation":"UPDATE","table":"posts","record":{"id":"p1","t":"b"},"oldRecord":{"id":"p1"}})"));
  CHECK(*upd.frame(dialect::snackbase)
        == R"({"type":"posts.update","timestamp":"2024-01-15T10:00:00.000Z","data":{"id":"p1","t":"b"}})");
  auto plain = change_event("ws.default.postgres:posts", R"({"id":"p9"})");
  plain.type = "create";
  CHECK(*encode_event(plain).frame(dialect::snackbase)
        == R"({"type":"posts.create","timestamp":"2024-01-15T10:00:00.000Z","data":{"id":"p9"}})");
}

TEST_CASE("SnackBase decodes the documented messages", "[codec][snackbase]") {
  auto s = snackbase::decode(
    R"({"action":"subscribe","collection":"posts","operations":["create","update","delete"]})");
  REQUIRE(s.kind == op::subscribe);
  CHECK(s.topics == std::vector<std::string>{"posts"});
  REQUIRE(s.filter);
  CHECK(s.filter->operations == std::vector<std::string>{"DELETE", "INSERT", "UPDATE"}); // sorted
  auto all = snackbase::decode(R"({"action":"subscribe","collection":"posts"})");
  CHECK(all.kind == op::subscribe);
  CHECK_FALSE(all.filter);
  CHECK(snackbase::decode(R"({"action":"unsubscribe","collection":"posts"})").kind
        == op::unsubscribe);
  CHECK(snackbase::decode(R"({"action":"ping"})").kind == op::ping);
  CHECK(snackbase::decode(R"({"type":"ping"})").kind == op::ping);
  CHECK(snackbase::decode("ping").kind == op::ping);
  for (const char* bad : {R"({"action":"subscribe","collection":"posts","operations":["upsert"]})",
                          R"({"action":"subscribe","collection":"posts","operations":[]})",
                          R"({"action":"subscribe","collection":"posts","operations":"create"})"}) {
    INFO(bad);
    auto c = snackbase::decode(bad);
    CHECK(c.kind == op::invalid);
    CHECK(c.error_code == error_code::invalid_filter);
  }
  CHECK(snackbase::decode(R"({"action":"subscribe"})").error_code == error_code::bad_request);
  CHECK(snackbase::decode("{").error_code == error_code::bad_json);
}

TEST_CASE("SnackBase replies and ingestion", "[codec][snackbase]") {
  const auto& codec = codec_for(dialect::snackbase);
  CHECK(*codec.subscribed("posts", "c", 0, std::nullopt)
        == R"({"status":"subscribed","collection":"posts"})");
  CHECK(codec.unsubscribed("posts") == R"({"status":"unsubscribed","collection":"posts"})");
  CHECK(*codec.heartbeat(1768653296789) == R"({"type":"heartbeat","timestamp":"2026-01-17T12:34:56.789Z"})");
  CHECK(codec.pong() == R"({"type":"pong"})");
  auto err = codec.error(error_code::quota_exceeded, "limit", "posts");
  CHECK(err.close_code == 0); // SnackBase answers with a frame and keeps the connection
  CHECK(err.frame
        == R"({"status":"error","code":"quota_exceeded","collection":"posts","message":"limit"})");
  CHECK(codec.map_topic("posts", "default").channel == "ws.default.postgres:posts");
  CHECK(codec.map_topic("po.sts", "default").channel.empty());

  auto r = snackbase::parse_ingest("posts", json::parse(R"({"operation":"create","data":{"id":"p1"}})")
                                              .as_object());
  auto& in = std::get<snackbase::ingest>(r);
  CHECK(in.type == "INSERT");
  CHECK(in.data_json == R"({"operation":"INSERT","table":"posts","record":{"id":"p1"}})");
  auto d = snackbase::parse_ingest("posts", json::parse(R"({"operation":"delete","data":{"id":"p1"}})")
                                              .as_object());
  CHECK(std::get<snackbase::ingest>(d).data_json
        == R"({"operation":"DELETE","table":"posts","record":null,"oldRecord":{"id":"p1"}})");
  for (const char* bad : {R"({"operation":"upsert","data":{}})", R"({"operation":"create"})",
                          R"({"operation":"create","data":[1]})"}) {
    INFO(bad);
    CHECK(std::holds_alternative<snackbase::ingest_error>(
      snackbase::parse_ingest("posts", json::parse(bad).as_object())));
  }
}
