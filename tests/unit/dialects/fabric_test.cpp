// Golden tests for the Fabric dialect (schema/dialects/fabric/): exact JSON in, exact JSON out.
#include <catch2/catch.hpp>

#include <limits>

#include "schema/codes.hpp"
#include "schema/dialects/fabric/fabric.hpp"

using namespace sy;

namespace {

event sample_event() {
  event e;
  e.channel = "payload.list";
  e.epoch = 0xabc;
  e.seq = 42;
  e.timestamp_ms = 1705312800000; // 2024-01-15T10:00:00.000Z
  e.type = "upload";
  e.data_json = R"({"payloadId":"123","size":7})";
  e.metadata_json = R"({"payloadId":"123"})";
  e.metadata = {{"payloadId", "123"}};
  e.correlation_id = "corr-1";
  return e;
}

} // namespace

TEST_CASE("fabric decodes subscribe with scopes and since", "[codec]") {
  auto c = fabric::decode(
    R"({"op":"subscribe","topics":["a","b"],"scopes":{"z":1,"payloadId":"123"},"since":{"a":"abc-4"}})");
  REQUIRE(c.kind == op::subscribe);
  CHECK(c.topics == std::vector<std::string>{"a", "b"});
  REQUIRE(c.filter);
  REQUIRE(c.filter->scopes.terms.size() == 2);
  CHECK(c.filter->scopes.terms[0] == std::pair<std::string, std::string>{"payloadId", "123"});
  CHECK(c.filter->scopes.terms[1] == std::pair<std::string, std::string>{"z", "1"});
  REQUIRE(c.since.size() == 1);
  CHECK(c.since[0] == std::pair<std::string, std::string>{"a", "abc-4"});
}

TEST_CASE("fabric decodes unsubscribe and ping", "[codec]") {
  auto u = fabric::decode(R"({"op":"unsubscribe","topics":["a"]})");
  CHECK(u.kind == op::unsubscribe);
  CHECK(u.topics == std::vector<std::string>{"a"});
  CHECK(fabric::decode(R"({"op":"ping"})").kind == op::ping);
}

TEST_CASE("fabric refuses malformed frames with a code", "[codec]") {
  struct row {
    const char* in;
    std::string_view code;
  };
  row rows[] = {
    {"not json", error_code::bad_json},
    {"[1,2]", error_code::bad_request},
    {R"({"topics":["a"]})", error_code::bad_request},
    {R"({"op":"subscribe","topics":"a"})", error_code::bad_request},
    {R"({"op":"subscribe","topics":[]})", error_code::bad_request},
    {R"({"op":"subscribe","topics":[1]})", error_code::bad_request},
    {R"({"op":"subscribe","topics":["a"],"scopes":[1]})", error_code::bad_request},
    {R"({"op":"subscribe","topics":["a"],"since":{"a":5}})", error_code::bad_cursor},
    {R"({"op":"dance"})", error_code::unknown_op},
  };
  for (const auto& r : rows) {
    INFO(r.in);
    auto c = fabric::decode(r.in);
    CHECK(c.kind == op::invalid);
    CHECK(c.error_code == r.code);
    CHECK_FALSE(c.error_message.empty());
  }
}

TEST_CASE("fabric encodes every server frame exactly", "[codec]") {
  CHECK(fabric::encode_subscribed("t", "abc-3", 2, std::nullopt)
        == R"({"op":"subscribed","topic":"t","cursor":"abc-3","replay":2})");
  CHECK(fabric::encode_subscribed("t", "abc-3", 0, false)
        == R"({"op":"subscribed","topic":"t","cursor":"abc-3","replay":0,"recovered":false})");
  CHECK(fabric::encode_unsubscribed("t") == R"({"op":"unsubscribed","topic":"t"})");
  CHECK(fabric::encode_error("quota_exceeded", "limit \"32\"", "t9")
        == R"({"op":"error","code":"quota_exceeded","topic":"t9","message":"limit \"32\""})");
  CHECK(fabric::encode_error("bad_json", "x") == R"({"op":"error","code":"bad_json","message":"x"})");
  CHECK(fabric::encode_pong() == R"({"op":"pong"})");
  CHECK(fabric::encode_heartbeat(1705312800000)
        == R"({"op":"heartbeat","timestamp":"2024-01-15T10:00:00.000Z"})");
}

TEST_CASE("event encodes once into REST and Fabric shapes", "[codec]") {
  auto enc = encode_event(sample_event());
  CHECK(enc.id == "abc-42");
  CHECK(enc.rest_json
        == R"({"channel":"payload.list","seq":42,"id":"abc-42","timestamp":"2024-01-15T10:00:00.000Z","type":"upload","data":{"payloadId":"123","size":7},"metadata":{"payloadId":"123"},"correlationId":"corr-1"})");
  CHECK(*enc.fabric_live()
        == R"({"op":"event","topic":"payload.list","channel":"payload.list","seq":42,"id":"abc-42","timestamp":"2024-01-15T10:00:00.000Z","type":"upload","data":{"payloadId":"123","size":7},"metadata":{"payloadId":"123"},"correlationId":"corr-1","snapshot":false})");
  CHECK(fabric::encode_snapshot(enc)
        == R"({"op":"event","topic":"payload.list","channel":"payload.list","seq":42,"id":"abc-42","timestamp":"2024-01-15T10:00:00.000Z","type":"upload","data":{"payloadId":"123","size":7},"metadata":{"payloadId":"123"},"correlationId":"corr-1","snapshot":true})");
}

TEST_CASE("event strings are escaped", "[codec]") {
  auto e = sample_event();
  e.type = "a\"b\n\x01";
  auto enc = encode_event(std::move(e));
  CHECK(enc.rest_json.find(R"("type":"a\"b\n\u0001")") != std::string::npos);
}

TEST_CASE("fabric compiles scopes and filter into one server-side filter", "[codec][filter]") {
  auto c = fabric::decode(
    R"({"op":"subscribe","topics":["postgres:products"],"scopes":{"tenant":"a"},)"
    R"("filter":{"operations":["UPDATE"],"predicates":{"price":{"$gte":100}}}})");
  REQUIRE(c.kind == op::subscribe);
  REQUIRE(c.filter);
  CHECK(c.filter->scopes.terms.size() == 1);
  CHECK(c.filter->operations == std::vector<std::string>{"UPDATE"});
  CHECK(c.filter->predicates.size() == 1);
  CHECK_FALSE(fabric::decode(R"({"op":"subscribe","topics":["t"]})").filter);

  for (const char* bad : {R"({"op":"subscribe","topics":["t"],"filter":[1]})",
                          R"({"op":"subscribe","topics":["t"],"filter":{"predicates":{"p":{"$near":1}}}})",
                          R"({"op":"subscribe","topics":["t"],"filter":{"nope":1}})",
                          R"({"op":"subscribe","topics":["t"],"filter":{"scopes":{}}})"}) {
    INFO(bad);
    auto e = fabric::decode(bad);
    CHECK(e.kind == op::invalid);
    CHECK(e.error_code == "invalid_filter");
    CHECK_FALSE(e.error_message.empty());
  }
}

TEST_CASE("fabric refresh frames", "[codec]") {
  auto r = fabric::decode(R"({"op":"refresh","token":"abc.def.ghi"})");
  CHECK(r.kind == op::refresh);
  CHECK(r.token == "abc.def.ghi");
  CHECK(fabric::decode(R"({"op":"refresh"})").error_code == "bad_request");
  CHECK(fabric::encode_refreshed(1705312800) == R"({"op":"refreshed","expiresAt":"2024-01-15T10:00:00.000Z"})");
  CHECK(fabric::encode_refreshed(std::nullopt) == R"({"op":"refreshed","expiresAt":null})");
  // A token's exp is any int64 (found by tests/fuzz/fuzz_jwt: exp * 1000 overflowed): years
  // past 9999 print as 9999.
  for (auto exp : {std::numeric_limits<std::int64_t>::max(), std::int64_t{9'223'372'036'854'776}}) {
    auto frame = fabric::encode_refreshed(exp);
    INFO(frame);
    CHECK(frame.rfind(R"({"op":"refreshed","expiresAt":"9999-)", 0) == 0);
  }
}
