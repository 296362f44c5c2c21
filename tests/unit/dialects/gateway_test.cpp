// Golden tests for the workspace gateway dialect (schema/dialects/gateway/): exact JSON in,
// exact JSON out, and the frames encode_event builds once per event.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "change_event.hpp"
#include "schema/codes.hpp"
#include "schema/dialects/gateway/gateway.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

using namespace sy;
namespace json = boost::json;
using sy::test::change_event;

namespace {

std::string gateway_ingest_data(const std::string& body) {
  auto r = gateway::parse_ingest(json::parse(body).as_object());
  REQUIRE(std::holds_alternative<gateway::ingest>(r));
  return std::get<gateway::ingest>(r).data_json;
}

} // namespace

TEST_CASE("workspace channel names split and join", "[codec][gateway]") {
  CHECK(workspace_channel("acme", "postgres:products") == "ws.acme.postgres:products");
  auto n = split_workspace_channel("ws.acme.postgres:products");
  REQUIRE(n);
  CHECK(n->workspace == "acme");
  CHECK(n->local == "postgres:products");
  CHECK(split_workspace_channel("ws.acme.events:*")->local == "events:*");
  CHECK_FALSE(split_workspace_channel("orders"));
  CHECK_FALSE(split_workspace_channel("ws.acme"));
  CHECK_FALSE(split_workspace_channel("ws..postgres:x"));
  CHECK(valid_workspace_id("acme_1-b"));
  CHECK_FALSE(valid_workspace_id("a.b"));
  CHECK_FALSE(valid_workspace_id(""));
  CHECK_FALSE(valid_workspace_id(std::string(65, 'a')));
}

TEST_CASE("gateway channels: the six documented forms, nothing else", "[codec][gateway]") {
  for (const char* ok : {"postgres:*", "postgres:products", "mongo:*", "mongo:orders", "events:*",
                         "events:user.signup"})
    CHECK(gateway::valid_channel(ok, true));
  CHECK_FALSE(gateway::valid_channel("postgres:*", false)); // ingestion needs a concrete one
  for (const char* bad : {"postgres:", "redis:x", "products", "*", "events:a*", "mongo:a b",
                          "Postgres:x"})
    CHECK_FALSE(gateway::valid_channel(bad, true));
  const auto& codec = codec_for(dialect::gateway);
  CHECK(codec.map_topic("postgres:products", "acme").channel == "ws.acme.postgres:products");
  CHECK(codec.map_topic("mongo:*", "acme").channel == "ws.acme.mongo:*");
  auto refused = codec.map_topic("kafka:x", "acme");
  CHECK(refused.channel.empty());
  CHECK(refused.error_code == error_code::channel_unavailable);
}

TEST_CASE("gateway decodes auth, subscribe with filter, unsubscribe, ping", "[codec][gateway]") {
  auto a = gateway::decode(R"({"type":"auth","token":"abc"})");
  CHECK(a.kind == op::auth);
  CHECK(a.token == "abc");
  auto s = gateway::decode(R"({"type":"subscribe","channel":"postgres:products","filter":)"
                           R"({"operations":["INSERT","UPDATE"],"entity":"products",)"
                           R"("predicates":{"price":{"$gte":100}}}})");
  REQUIRE(s.kind == op::subscribe);
  CHECK(s.topics == std::vector<std::string>{"postgres:products"});
  REQUIRE(s.filter);
  CHECK(s.filter->operations.size() == 2);
  CHECK(s.filter->entity == "products");
  auto plain = gateway::decode(R"({"type":"subscribe","channel":"events:*"})");
  CHECK(plain.kind == op::subscribe);
  CHECK_FALSE(plain.filter);
  auto u = gateway::decode(R"({"type":"unsubscribe","channel":"postgres:products"})");
  CHECK(u.kind == op::unsubscribe);
  CHECK(gateway::decode(R"({"type":"ping"})").kind == op::ping);
}

TEST_CASE("gateway refuses malformed frames with a code", "[codec][gateway]") {
  struct row {
    const char* in;
    std::string_view code;
  };
  for (auto r : {row{"nope", error_code::bad_json}, row{"[]", error_code::bad_request},
                 row{R"({"channel":"x"})", error_code::bad_request},
                 row{R"({"type":"auth"})", error_code::bad_request},
                 row{R"({"type":"subscribe"})", error_code::bad_request},
                 row{R"({"type":"subscribe","channel":"postgres:a","filter":[1]})",
                     error_code::invalid_filter},
                 row{R"({"type":"subscribe","channel":"postgres:a","filter":{"predicates":)"
                     R"({"price":{"$regex":"x"}}}})",
                     error_code::invalid_filter},
                 row{R"({"type":"dance"})", error_code::unknown_op}}) {
    INFO(r.in);
    auto c = gateway::decode(r.in);
    CHECK(c.kind == op::invalid);
    CHECK(c.error_code == r.code);
  }
}

TEST_CASE("gateway closes with the documented codes and answers other errors with a frame",
          "[codec][gateway]") {
  const auto& codec = codec_for(dialect::gateway);
  auto denied = codec.error(error_code::scope_denied, "no", "postgres:x");
  CHECK(denied.close_code == 4003);
  CHECK(denied.close_reason == "scope_denied");
  CHECK(codec.error(error_code::quota_exceeded, "m", "t").close_code == 4008);
  CHECK(codec.error(error_code::quota_exceeded, "m", "t").close_reason == "quota_exceeded");
  CHECK(codec.error(error_code::channel_unavailable, "m", "t").close_code == 4010);
  CHECK(codec.error(error_code::channel_unavailable, "m", "t").close_reason
        == "channel_unavailable");
  auto frame = codec.error(error_code::invalid_filter, "bad op", "postgres:x");
  CHECK(frame.close_code == 0);
  CHECK(frame.frame
        == R"({"type":"error","code":"invalid_filter","channel":"postgres:x","message":"bad op"})");
  CHECK(*codec.subscribed("postgres:x", "c", 0, std::nullopt)
        == R"({"type":"subscribed","channel":"postgres:x"})");
  CHECK(codec.unsubscribed("postgres:x") == R"({"type":"unsubscribed","channel":"postgres:x"})");
  CHECK(codec.pong() == R"({"type":"pong"})");
  CHECK_FALSE(codec.heartbeat(0));
  CHECK(codec.first_message_auth);
}

TEST_CASE("gateway ingestion stores the documented postgres shape in order", "[codec][gateway]") {
  auto data = gateway_ingest_data(
    R"({"channel":"postgres:products","operation":"UPDATE","table":"products",)"
    R"("record":{"id":"1","price":99.99},"oldRecord":{"id":"1","price":79.99},)"
    R"("changedColumns":["price"],"correlationId":"c-1","idempotencyKey":"k-1"})");
  CHECK(data
        == R"({"operation":"UPDATE","table":"products","record":{"id":"1","price":99.99},)"
           R"("oldRecord":{"id":"1","price":79.99},"changedColumns":["price"]})");
  auto r = gateway::parse_ingest(json::parse(R"({"channel":"postgres:products","operation":"insert",)"
                                             R"("record":{"id":"2"},"correlationId":"c-2",)"
                                             R"("idempotencyKey":"k-2"})")
                                   .as_object());
  auto& in = std::get<gateway::ingest>(r);
  CHECK(in.channel == "postgres:products");
  CHECK(in.type == "INSERT");
  CHECK(in.correlation_id == "c-2");
  CHECK(in.idempotency_key == "k-2");
  CHECK(in.data_json == R"({"operation":"INSERT","table":"products","record":{"id":"2"}})");
}

TEST_CASE("gateway ingestion: mongo and custom events", "[codec][gateway]") {
  CHECK(gateway_ingest_data(R"({"channel":"mongo:orders","operation":"INSERT","collection":"orders",)"
                            R"("document":{"orderId":"ORD-001"},"operationType":"insert"})")
        == R"({"operation":"INSERT","collection":"orders","document":{"orderId":"ORD-001"},)"
           R"("operationType":"insert"})");
  CHECK(gateway_ingest_data(R"({"channel":"mongo:orders","operation":"DELETE","document":null})")
        == R"({"operation":"DELETE","collection":"orders","document":null,"operationType":"delete"})");
  CHECK(gateway_ingest_data(R"({"channel":"events:user.signup","data":{"plan":"pro"}})")
        == R"({"plan":"pro"})");
}

TEST_CASE("numbers outside the range of a double are found before they are stored",
          "[codec][json]") {
  // Found by tests/fuzz/fuzz_ingest: Boost.JSON reads 1e400 as infinity and writes it back as
  // `Infinity`, so an ingested body carrying one was stored and sent as invalid JSON. The REST
  // routes refuse such a body (400 bad_json) with this check.
  CHECK(finite_numbers(json::parse(R"({"a":[1,-2.5,1e308,{"b":-1e-400}],"c":"1e400"})")));
  // 0e400 is read as NaN, which serializes as `NaN`.
  for (const char* body : {R"({"a":1e400})", R"({"a":[0,-1e400]})", R"({"a":{"b":{"c":[1e999]}}})",
                           R"({"a":0e400})"}) {
    INFO(body);
    auto v = json::parse(body);
    CHECK_FALSE(finite_numbers(v));
    // What storing it without the check gave: not JSON.
    auto r = gateway::parse_ingest(json::object{{"channel", "events:x"}, {"data", v}});
    REQUIRE(std::holds_alternative<gateway::ingest>(r));
    boost::system::error_code ec;
    json::parse(std::get<gateway::ingest>(r).data_json, ec);
    CHECK(ec);
  }
}

TEST_CASE("gateway ingestion refuses what it cannot route", "[codec][gateway]") {
  struct row {
    const char* in;
    const char* code;
  };
  for (auto r : {row{R"({"operation":"INSERT"})", "bad_request"},
                 row{R"({"channel":"redis:x","data":1})", "channel_unavailable"},
                 row{R"({"channel":"postgres:*","operation":"INSERT"})", "channel_unavailable"},
                 row{R"({"channel":"postgres:a"})", "bad_request"},
                 row{R"({"channel":"postgres:a","operation":"INSERT","table":"b"})", "bad_request"},
                 row{R"({"channel":"events:a"})", "bad_request"},
                 row{R"({"channel":"events:a","data":1,"correlationId":5})", "bad_request"},
                 row{R"({"channel":"postgres:a","operation":"UPDATE","changedColumns":"x"})",
                     "bad_request"}}) {
    INFO(r.in);
    auto res = gateway::parse_ingest(json::parse(r.in).as_object());
    REQUIRE(std::holds_alternative<gateway::ingest_error>(res));
    CHECK(wire_code(std::get<gateway::ingest_error>(res).code) == r.code);
  }
}

TEST_CASE("encode_event builds gateway and SnackBase frames for workspace channels",
          "[codec][gateway][snackbase]") {
  auto enc = encode_event(change_event(
    "ws.acme.postgres:products",
    R"({"operation":"INSERT","table":"products","record":{"id":"550e8400","name":"New Product","price":29.99}})"));
  REQUIRE(enc.frame(dialect::gateway));
  CHECK(*enc.frame(dialect::gateway)
        == R"({"type":"event","channel":"postgres:products","operation":"INSERT","table":"products",)"
           R"("record":{"id":"550e8400","name":"New Product","price":29.99},)"
           R"("timestamp":"2024-01-15T10:00:00.000Z","correlationId":"corr-abc-123"})");
  REQUIRE(enc.frame(dialect::snackbase));
  CHECK(*enc.frame(dialect::snackbase)
        == R"({"type":"products.create","timestamp":"2024-01-15T10:00:00.000Z",)"
           R"("data":{"id":"550e8400","name":"New Product","price":29.99}})");
  REQUIRE(enc.fabric_live());

  auto mongo = encode_event(change_event(
    "ws.acme.mongo:orders",
    R"({"operation":"INSERT","collection":"orders","document":{"_id":"x","total":198.95},"operationType":"insert"})",
    ""));
  CHECK(*mongo.frame(dialect::gateway)
        == R"({"type":"event","channel":"mongo:orders","operation":"INSERT","collection":"orders",)"
           R"("document":{"_id":"x","total":198.95},"operationType":"insert",)"
           R"("timestamp":"2024-01-15T10:00:00.000Z","correlationId":")"
             + mongo.id + R"("})");
  CHECK_FALSE(mongo.frame(dialect::snackbase)); // SnackBase collections are postgres: tables

  auto custom = encode_event(change_event("ws.acme.events:user.signup", R"({"plan":"pro"})"));
  CHECK(*custom.frame(dialect::gateway)
        == R"({"type":"event","channel":"events:user.signup","data":{"plan":"pro"},)"
           R"("timestamp":"2024-01-15T10:00:00.000Z","correlationId":"corr-abc-123"})");

  auto plain = encode_event(change_event("orders", R"({"a":1})"));
  CHECK_FALSE(plain.frame(dialect::gateway));
  CHECK_FALSE(plain.frame(dialect::snackbase));
}
