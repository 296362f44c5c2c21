// The workspace gateway and SnackBase dialects end to end on real
// sockets: both auth forms, every close code, workspace isolation, filters, ingestion with
// idempotency, and one publish reaching a subscriber of every dialect in its own shape.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace sy::test;

namespace {

header_list bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

std::string ws_token(const std::string& sub, const std::string& workspaces,
                     std::int64_t ttl = 3600) {
  return token_for(sub, ttl, R"("workspaces":)" + workspaces);
}

ws_client connect_gateway(const daemon_process& d, const std::string& workspace,
                          const std::string& token) {
  ws_client c;
  ws_connect_options o;
  o.headers = bearer(token);
  int status = c.connect(d.port(), "/workspaces/" + workspace + "/realtime/connect", o);
  INFO(c.last_error() << " " << c.refusal_body());
  REQUIRE(status == 101);
  return c;
}

ws_client connect_snackbase(const daemon_process& d, const std::string& token) {
  ws_client c;
  int status = c.connect(d.port(), "/api/v1/realtime/ws?token=" + token);
  INFO(c.last_error() << " " << c.refusal_body());
  REQUIRE(status == 101);
  return c;
}

void gateway_subscribe(ws_client& c, const std::string& channel, const std::string& extra = "") {
  REQUIRE(c.send_text(R"({"type":"subscribe","channel":")" + channel + "\"" + extra + "}"));
  auto ack = next_object(c);
  CHECK(field_s(ack, "type") == "subscribed");
  CHECK(field_s(ack, "channel") == channel);
}

json::object post(http_client& h, const std::string& target, const std::string& body,
                  int expect = 201) {
  auto r = h.request("POST", target, body, api_key_auth());
  INFO(target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == expect);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  return v.get_object();
}

int close_code_of(ws_client& c) {
  auto st = c.wait_closed(3s);
  REQUIRE(st);
  INFO("reason: " << st->reason << " error: " << st->error);
  return st->code;
}

} // namespace

TEST_CASE("gateway: Bearer upgrade, subscribe, the documented postgres event frame") {
  daemon_process d;
  auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
  gateway_subscribe(c, "postgres:products");
  http_client h(d.port());
  auto stored = post(h, "/workspaces/acme/events",
                     R"({"channel":"postgres:products","operation":"UPDATE","table":"products",)"
                     R"("record":{"id":"p1","name":"Lamp","price":99.99},)"
                     R"("oldRecord":{"id":"p1","name":"Lamp","price":79.99},)"
                     R"("changedColumns":["price"],"correlationId":"corr-abc-123"})");
  CHECK(field_s(stored, "channel") == "ws.acme.postgres:products");
  auto ev = next_object(c);
  CHECK(keys_of(ev) == keys({"type", "channel", "operation", "table", "record", "oldRecord",
                             "changedColumns", "timestamp", "correlationId"}));
  CHECK(field_s(ev, "type") == "event");
  CHECK(field_s(ev, "channel") == "postgres:products");
  CHECK(field_s(ev, "operation") == "UPDATE");
  CHECK(field_s(ev, "table") == "products");
  CHECK(field_o(ev, "record").at("price").to_number<double>() == 99.99);
  CHECK(field_o(ev, "oldRecord").at("price").to_number<double>() == 79.99);
  CHECK(is_rfc3339_ms(field_s(ev, "timestamp")));
  CHECK(field_s(ev, "correlationId") == "corr-abc-123");
}

TEST_CASE("gateway: first-message auth, wildcards, mongo and custom event frames") {
  daemon_process d;
  ws_client c;
  REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
  REQUIRE(c.send_text(R"({"type":"auth","token":")" + ws_token("bob", R"(["acme"])") + "\"}"));
  gateway_subscribe(c, "mongo:*");
  gateway_subscribe(c, "events:*");
  http_client h(d.port());
  post(h, "/workspaces/acme/events",
       R"({"channel":"mongo:orders","operation":"INSERT","collection":"orders",)"
       R"("document":{"_id":"o1","orderId":"ORD-001","total":198.95},"operationType":"insert"})");
  auto m = next_object(c);
  CHECK(keys_of(m) == keys({"type", "channel", "operation", "collection", "document",
                            "operationType", "timestamp", "correlationId"}));
  CHECK(field_s(m, "channel") == "mongo:orders"); // the concrete channel, not the pattern
  CHECK(field_s(m, "operationType") == "insert");
  CHECK(field_s(field_o(m, "document"), "orderId") == "ORD-001");
  post(h, "/workspaces/acme/events",
       R"({"channel":"events:user.signup","data":{"plan":"pro"},"correlationId":"c9"})");
  auto e = next_object(c);
  CHECK(keys_of(e) == keys({"type", "channel", "data", "timestamp", "correlationId"}));
  CHECK(field_s(e, "channel") == "events:user.signup");
  CHECK(field_s(field_o(e, "data"), "plan") == "pro");
  CHECK(field_s(e, "correlationId") == "c9");
}

TEST_CASE("gateway: refusal classes close with the documented codes") {
  daemon_process d({"--set", "gateway.auth_timeout_ms=500", "--set",
                    "gateway.max_subscriptions=2"});
  SECTION("a frame before auth -> 4003") {
    ws_client c;
    REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
    REQUIRE(c.send_text(R"({"type":"subscribe","channel":"postgres:products"})"));
    CHECK(close_code_of(c) == 4003);
  }
  SECTION("no auth within gateway.auth_timeout_ms -> 4003") {
    ws_client c;
    REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
    auto st = c.wait_closed(3s);
    REQUIRE(st);
    CHECK(st->code == 4003);
    CHECK(st->reason == "auth_timeout");
  }
  SECTION("a bad token in the auth message -> 4003") {
    ws_client c;
    REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
    REQUIRE(c.send_text(R"({"type":"auth","token":"not.a.token"})"));
    CHECK(close_code_of(c) == 4003);
  }
  SECTION("an expired token (header or message) -> 4001 token_expired") {
    auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])", -120));
    auto st = c.wait_closed(3s);
    REQUIRE(st);
    CHECK(st->code == 4001);
    CHECK(st->reason == "token_expired");
    ws_client m;
    REQUIRE(m.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
    REQUIRE(m.send_text(R"({"type":"auth","token":")" + ws_token("a", R"(["acme"])", -120) + "\"}"));
    CHECK(close_code_of(m) == 4001);
  }
  SECTION("a token for another workspace -> 4003 scope_denied") {
    auto c = connect_gateway(d, "acme", ws_token("mallory", R"(["globex"])"));
    auto st = c.wait_closed(3s);
    REQUIRE(st);
    CHECK(st->code == 4003);
    CHECK(st->reason == "scope_denied");
  }
  SECTION("an unknown channel -> 4010 channel_unavailable") {
    auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
    REQUIRE(c.send_text(R"({"type":"subscribe","channel":"redis:keys"})"));
    auto st = c.wait_closed(3s);
    REQUIRE(st);
    CHECK(st->code == 4010);
    CHECK(st->reason == "channel_unavailable");
  }
  SECTION("over gateway.max_subscriptions -> 4008 quota_exceeded") {
    auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
    gateway_subscribe(c, "postgres:a");
    gateway_subscribe(c, "postgres:b");
    REQUIRE(c.send_text(R"({"type":"subscribe","channel":"postgres:c"})"));
    auto st = c.wait_closed(3s);
    REQUIRE(st);
    CHECK(st->code == 4008);
    CHECK(st->reason == "quota_exceeded");
  }
  SECTION("an invalid filter is an error frame; the session stays") {
    auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
    REQUIRE(c.send_text(
      R"({"type":"subscribe","channel":"postgres:a","filter":{"predicates":{"p":{"$regex":1}}}})"));
    auto err = next_object(c);
    CHECK(field_s(err, "type") == "error");
    CHECK(field_s(err, "code") == "invalid_filter");
    gateway_subscribe(c, "postgres:a");
  }
}

TEST_CASE("gateway: workspaces are isolated, also for wildcards and ingestion rights") {
  daemon_process d;
  auto a = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
  auto b = connect_gateway(d, "globex", ws_token("gina", R"(["globex"])"));
  gateway_subscribe(a, "postgres:*");
  gateway_subscribe(b, "postgres:*");
  http_client h(d.port());
  post(h, "/workspaces/acme/events",
       R"({"channel":"postgres:products","operation":"INSERT","record":{"id":"a1"}})");
  auto ev = next_object(a);
  CHECK(field_s(field_o(ev, "record"), "id") == "a1");
  expect_silence(b);
  // A publisher token limited to workspace globex may not publish into acme.
  auto pub = token_for("svc", 3600, R"("workspaces":["globex"],"publish":["postgres:*"])");
  auto r = h.request("POST", "/workspaces/acme/events",
                     R"({"channel":"postgres:products","operation":"INSERT","record":{}})",
                     bearer(pub));
  CHECK(r.status == 403);
  r = h.request("POST", "/workspaces/globex/events",
                R"({"channel":"postgres:products","operation":"INSERT","record":{"id":"g1"}})",
                bearer(pub));
  CHECK(r.status == 201);
  CHECK(field_s(field_o(next_object(b), "record"), "id") == "g1");
  expect_silence(a);
  // A Fabric wildcard without the workspace grant sees nothing of it.
  auto f = connect_fabric(d, "eve");
  subscribe(f, {"ws.*"});
  post(h, "/workspaces/acme/events",
       R"({"channel":"postgres:products","operation":"INSERT","record":{"id":"a2"}})");
  expect_silence(f);
  CHECK(h.request("POST", "/workspaces/acme/events", R"({"channel":"postgres:x"})", {}).status
        == 401);
}

TEST_CASE("gateway: filters by operations, entity and predicates") {
  daemon_process d;
  auto c = connect_gateway(d, "acme", ws_token("alice", R"(["acme"])"));
  gateway_subscribe(c, "postgres:*",
                    R"(,"filter":{"operations":["UPDATE"],"entity":"products",)"
                    R"("predicates":{"category":"electronics","price":{"$gte":100}}})");
  http_client h(d.port());
  auto send = [&](const std::string& table, const std::string& op, const std::string& record) {
    post(h, "/workspaces/acme/events",
         R"({"channel":"postgres:)" + table + R"(","operation":")" + op + R"(","record":)"
           + record + "}");
  };
  send("products", "INSERT", R"({"id":1,"category":"electronics","price":500})"); // op
  send("orders", "UPDATE", R"({"id":2,"category":"electronics","price":500})");   // entity
  send("products", "UPDATE", R"({"id":3,"category":"books","price":500})");       // predicate
  send("products", "UPDATE", R"({"id":4,"category":"electronics","price":50})");  // predicate
  send("products", "UPDATE", R"({"id":5,"category":"electronics","price":100})"); // match
  auto ev = next_object(c);
  CHECK(field_o(ev, "record").at("id").to_number<int>() == 5);
  expect_silence(c, 300ms);
}

TEST_CASE("gateway ingestion: idempotency keys and refusals") {
  daemon_process d;
  http_client h(d.port());
  auto body = R"({"channel":"events:billing","data":{"n":1},"idempotencyKey":"k-1"})";
  auto first = post(h, "/workspaces/acme/events", body, 201);
  auto again = post(h, "/workspaces/acme/events", body, 200);
  CHECK(field_i(first, "seq") == field_i(again, "seq"));
  CHECK(field_b(again, "duplicate"));
  auto r = h.request("POST", "/workspaces/acme/events", R"({"channel":"redis:x","data":{}})",
                     api_key_auth());
  CHECK(r.status == 404);
  CHECK(error_code_of(r.body) == "channel_unavailable");
  r = h.request("POST", "/workspaces/acme/events", R"({"channel":"postgres:x"})", api_key_auth());
  CHECK(r.status == 400);
  r = h.request("POST", "/workspaces/a.b/events", "{}", api_key_auth());
  CHECK(r.status == 400);
  // 1e400 reads as infinity, which would be stored and delivered as `Infinity` (not JSON).
  r = h.request("POST", "/workspaces/acme/events",
                R"({"channel":"postgres:x","operation":"insert","record":{"n":1e400}})",
                api_key_auth());
  CHECK(r.status == 400);
  CHECK(error_code_of(r.body) == "bad_json");
  r = h.request("POST", "/api/v1/collections/posts/events",
                R"({"operation":"create","data":{"n":-1e400}})", api_key_auth());
  CHECK(r.status == 400);
  CHECK(error_code_of(r.body) == "bad_json");
  r = h.request("GET", "/workspaces/acme/realtime/connect");
  CHECK(r.status == 426);
}

TEST_CASE("SnackBase: subscribe confirmation, operations filter, ping, unsubscribe") {
  daemon_process d;
  auto c = connect_snackbase(d, ws_token("sam", R"(["default"])"));
  REQUIRE(c.send_text(R"({"action":"subscribe","collection":"posts","operations":["create","delete"]})"));
  auto ack = next_object(c);
  CHECK(keys_of(ack) == keys({"status", "collection"}));
  CHECK(field_s(ack, "status") == "subscribed");
  CHECK(field_s(ack, "collection") == "posts");
  http_client h(d.port());
  post(h, "/api/v1/collections/posts/events", R"({"operation":"update","data":{"id":"p0"}})");
  post(h, "/api/v1/collections/posts/events",
       R"({"operation":"create","data":{"id":"p1","title":"New Post"}})");
  auto ev = next_object(c);
  CHECK(keys_of(ev) == keys({"type", "timestamp", "data"}));
  CHECK(field_s(ev, "type") == "posts.create");
  CHECK(is_rfc3339_ms(field_s(ev, "timestamp")));
  CHECK(field_s(field_o(ev, "data"), "title") == "New Post");
  post(h, "/api/v1/collections/posts/events", R"({"operation":"delete","data":{"id":"p1"}})");
  auto del = next_object(c);
  CHECK(field_s(del, "type") == "posts.delete");
  CHECK(field_s(field_o(del, "data"), "id") == "p1");
  REQUIRE(c.send_text(R"({"action":"ping"})"));
  CHECK(field_s(next_object(c), "type") == "pong");
  REQUIRE(c.send_text(R"({"action":"unsubscribe","collection":"posts"})"));
  auto un = next_object(c);
  CHECK(field_s(un, "status") == "unsubscribed");
  CHECK(field_s(un, "collection") == "posts");
  post(h, "/api/v1/collections/posts/events", R"({"operation":"create","data":{"id":"p2"}})");
  expect_silence(c);
}

TEST_CASE("SnackBase: 100 subscriptions per connection, token required, expiry closes") {
  daemon_process d;
  auto c = connect_snackbase(d, ws_token("sam", R"(["default"])"));
  for (int i = 0; i < 100; ++i)
    REQUIRE(c.send_text(R"({"action":"subscribe","collection":"c)" + std::to_string(i) + "\"}"));
  for (int i = 0; i < 100; ++i)
    REQUIRE(field_s(next_object(c), "status") == "subscribed");
  REQUIRE(c.send_text(R"({"action":"subscribe","collection":"c100"})"));
  auto err = next_object(c);
  CHECK(field_s(err, "status") == "error");
  CHECK(field_s(err, "code") == "quota_exceeded");
  CHECK(field_s(err, "collection") == "c100");

  ws_client none;
  CHECK(none.connect(d.port(), "/api/v1/realtime/ws") == 401);
  // Expires 1 s from now (the daemon allows auth.leeway_s=0 below).
  daemon_process strict({"--set", "auth.leeway_s=0"});
  auto e = connect_snackbase(strict, ws_token("sam", R"(["default"])", 1));
  auto st = e.wait_closed(4s);
  REQUIRE(st);
  CHECK(st->code == 4001);
}

TEST_CASE("one publish reaches Fabric, gateway and SnackBase subscribers, each in its shape") {
  daemon_process d;
  auto tok = ws_token("ann", R"(["default"])");
  ws_client f;
  REQUIRE(f.connect(d.port(), "/realtime?token=" + tok) == 101);
  subscribe(f, {"ws.default.postgres:posts"});
  auto g = connect_gateway(d, "default", tok);
  gateway_subscribe(g, "postgres:posts");
  auto s = connect_snackbase(d, tok);
  REQUIRE(s.send_text(R"({"action":"subscribe","collection":"posts"})"));
  REQUIRE(field_s(next_object(s), "status") == "subscribed");

  http_client h(d.port());
  // Once through each dialect's ingestion route, and once through the core REST route.
  post(h, "/api/v1/collections/posts/events", R"({"operation":"create","data":{"id":"p1"}})");
  post(h, "/workspaces/default/events",
       R"({"channel":"postgres:posts","operation":"UPDATE","record":{"id":"p1","v":2}})");
  publish(h, "ws.default.postgres:posts",
          R"({"data":{"operation":"DELETE","table":"posts","record":null,"oldRecord":{"id":"p1"}}})");
  const char* ops[] = {"INSERT", "UPDATE", "DELETE"};
  const char* snack[] = {"posts.create", "posts.update", "posts.delete"};
  for (int i = 0; i < 3; ++i) {
    auto fe = next_event(f);
    CHECK(field_i(fe, "seq") == i + 1);
    CHECK(field_s(field_o(fe, "data"), "operation") == ops[i]);
    auto ge = next_object(g);
    CHECK(field_s(ge, "type") == "event");
    CHECK(field_s(ge, "channel") == "postgres:posts");
    CHECK(field_s(ge, "operation") == ops[i]);
    auto se = next_object(s);
    CHECK(field_s(se, "type") == snack[i]);
    CHECK(field_s(field_o(se, "data"), "id") == "p1");
  }
}

TEST_CASE("gateway authentications are published to the gateway audit topics") {
  daemon_process d;
  // console.realtime.* needs an admin token, also in development mode.
  ws_client a;
  REQUIRE(a.connect(d.port(), "/realtime?token=" + token_for("auditor", 3600, R"("admin":true)"))
          == 101);
  subscribe(a, {"console.realtime.auth-granted", "console.realtime.auth-denied"});
  ws_client bad;
  REQUIRE(bad.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
  REQUIRE(bad.send_text(R"({"type":"auth","token":"x.y.z"})"));
  auto denied = next_event(a);
  CHECK(field_s(denied, "channel") == "console.realtime.auth-denied");
  CHECK(field_s(field_o(denied, "data"), "dialect") == "gateway");
  CHECK(field_s(field_o(denied, "data"), "workspace") == "acme");
  CHECK(to_text(denied).find("x.y.z") == std::string::npos); // never the token
  ws_client good;
  REQUIRE(good.connect(d.port(), "/workspaces/acme/realtime/connect") == 101);
  REQUIRE(good.send_text(R"({"type":"auth","token":")" + ws_token("carol", R"(["acme"])") + "\"}"));
  auto granted = next_event(a);
  CHECK(field_s(granted, "channel") == "console.realtime.auth-granted");
  CHECK(field_s(field_o(granted, "data"), "sub") == "carol");
}
