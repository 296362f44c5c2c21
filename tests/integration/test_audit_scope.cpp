// Who sees and who writes the audit trail (AUTH.md *Reserved channels*): log.event without
// client identity for every token, the detail in log.audit / console.realtime.* for admins only,
// reserved channels closed to every publisher, workspace claims kept inside their workspace, and
// the gateway's refusals audited as what they are.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

header_list bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

ws_client connect_admin(const daemon_process& d) {
  ws_client c;
  REQUIRE(c.connect(d.port(), "/realtime?token=" + token_for("root", 3600, R"("admin":true)"))
          == 101);
  return c;
}

// Reads events until one satisfies `match` (bounded by count and time); empty when none did.
// Every frame read is appended to `seen` when given.
template <class Match>
json::object find_event(ws_client& c, Match match, std::vector<std::string>* seen = nullptr) {
  auto deadline = steady::now() + 5s;
  for (int i = 0; i < 40 && steady::now() < deadline; ++i) {
    auto v = c.read_json(2s);
    if (!v.is_object())
      break;
    auto& o = v.as_object();
    if (seen)
      seen->push_back(to_text(o));
    if (field_s(o, "op") == "event" && match(o))
      return o;
  }
  return {};
}

// What a non-admin must never see of another client.
void check_no_identity(const std::string& text) {
  INFO(text);
  for (const char* needle : {"\"remote\"", "\"origin\"", "\"userAgent\"", "\"sub\"",
                             "\"workspace\"", "sy-agent/2.0", "https://app.example", "xavier"})
    CHECK(text.find(needle) == std::string::npos);
}

} // namespace

TEST_CASE("log.event carries no client identity for non-admins, also through a wildcard",
          "[integration][audit]") {
  daemon_process d;
  auto watcher = connect_fabric(d, "watcher");
  subscribe(watcher, {"log.event"});
  auto wild = connect_fabric(d, "wild");
  subscribe(wild, {"*"});
  auto admin = connect_admin(d);
  subscribe(admin, {"log.audit"});
  // A non-admin may not subscribe to the detail, by name or by a claim that names it.
  auto claimed = ws_client();
  REQUIRE(claimed.connect(d.port(), "/realtime?token="
                                      + token_for("claims", 3600, R"("channels":["*"])"))
          == 101);
  claimed.send_text(R"({"op":"subscribe","topics":["log.audit"]})");
  CHECK(field_s(next_object(claimed), "code") == "scope_denied");

  ws_connect_options opts;
  opts.headers = {{"User-Agent", "sy-agent/2.0"}, {"Origin", "https://app.example"}};
  auto x = connect_fabric(d, "xavier", opts);
  subscribe(x, {"a"});
  x.close(1000);

  // The admin sees who it was, and learns the session id.
  auto full = find_event(admin, [](const json::object& o) {
    return field_s(o, "type") == "session.disconnect"
           && field_s(field_o(o, "data"), "sub") == "xavier";
  });
  REQUIRE_FALSE(full.empty());
  CHECK(field_s(full, "channel") == "log.audit");
  auto session = field_s(field_o(full, "data"), "sessionId");
  http_client rest(d.port());
  auto admin_token = token_for("root", 3600, R"("admin":true)");
  auto audit_page = rest.request("GET", "/v1/channels/log.audit/events", {}, bearer(admin_token));
  REQUIRE(audit_page.status == 200);
  CHECK(audit_page.body.find("sy-agent/2.0") != std::string::npos);
  CHECK(audit_page.body.find("https://app.example") != std::string::npos);

  // Everyone else sees the session come and go, without its identity.
  std::vector<std::string> received;
  for (auto* c : {&watcher, &wild}) {
    auto seen = find_event(
      *c,
      [&](const json::object& o) {
        return field_s(o, "type") == "session.disconnect"
               && field_s(field_o(o, "data"), "sessionId") == session;
      },
      &received);
    REQUIRE_FALSE(seen.empty());
    CHECK(field_s(seen, "channel") == "log.event");
    CHECK(keys_of(field_o(seen, "data"))
          == keys({"sessionId", "dialect", "code", "reason", "durationMs", "topics"}));
    CHECK(keys_of(field_o(seen, "metadata")) == keys({"sessionId"}));
  }
  // REST history of log.event is what a subscriber sees; log.audit is admin-only.
  auto page = rest.request("GET", "/v1/channels/log.event/events?limit=1000", {},
                           bearer(token_for("reader")));
  REQUIRE(page.status == 200);
  CHECK(page.body.find(session) != std::string::npos);
  check_no_identity(page.body);
  auto refused = rest.request("GET", "/v1/channels/log.audit/events", {},
                              bearer(token_for("reader", 3600, R"("channels":["*"])")));
  CHECK(refused.status == 403);
  CHECK(error_code_of(refused.body) == "forbidden");
  // Nothing the two non-admins received carried identity (the wildcard also matched
  // log.audit and console.realtime.*, which it must not deliver).
  for (auto* c : {&watcher, &wild})
    for (int i = 0; i < 40; ++i) {
      auto t = c->read_text(150ms);
      if (!t)
        break;
      received.push_back(*t);
    }
  for (const auto& t : received) {
    check_no_identity(t);
    CHECK(t.find("\"log.audit\"") == std::string::npos);
    CHECK(t.find("console.realtime.") == std::string::npos);
  }
}

TEST_CASE("reserved channels accept only the router's own records", "[integration][audit]") {
  daemon_process d;
  http_client h(d.port());
  auto admin = connect_admin(d);
  subscribe(admin, {"log.event", "log.audit", "console.realtime.auth-granted"});
  const std::pair<const char*, std::string> publishers[] = {
    {"publish *", token_for("forger", 3600, R"("publish":["*"])")},
    {"named", token_for("forger", 3600,
                        R"("publish":["log.event","log.audit","console.realtime.*"])")},
    {"admin", token_for("root", 3600, R"("admin":true)")},
    {"api key", test_api_key},
  };
  for (const auto& [who, credential] : publishers)
    for (const char* channel : {"log.event", "log.audit", "console.realtime.auth-granted",
                                "console.realtime.session-suspended"}) {
      auto r = h.request("POST", std::string("/v1/channels/") + channel + "/events",
                         R"({"type":"auth.granted","data":{"sub":"ceo"}})", bearer(credential));
      INFO(who << " -> " << channel << ": " << r.status << " " << r.body);
      CHECK(r.status == 403);
      auto v = parse_json(r.body);
      REQUIRE(v.is_object());
      CHECK(keys_of(v.as_object()) == keys({"error"}));
      CHECK(keys_of(field_o(v.as_object(), "error")) == keys({"code", "message"}));
      CHECK(error_code_of(r.body) == "forbidden");
    }
  // No forged record reached a subscriber (the refusals themselves are audited: auth.denied
  // with status 403 from the router, never a record with the forged body).
  for (int i = 0; i < 80; ++i) {
    auto t = admin.read_text(200ms);
    if (!t)
      break;
    INFO(*t);
    CHECK(t->find("ceo") == std::string::npos);
  }
  // Channels next to the reserved names stay ordinary.
  CHECK(h.request("POST", "/v1/channels/log.events/events", R"({"data":1})",
                  bearer(token_for("p", 3600, R"("publish":["*"])")))
          .status
        == 201);
}

TEST_CASE("workspace claims stay inside their workspace on every publish route",
          "[integration][audit]") {
  daemon_process d;
  http_client h(d.port());
  auto local = token_for("svc", 3600, R"("workspaces":["acme"],"publish":["events:*"])");
  // The global channel of the same name is not the workspace's.
  auto r = h.request("POST", "/v1/channels/events:x/events", R"({"data":1})", bearer(local));
  INFO(r.body);
  CHECK(r.status == 403);
  CHECK(error_code_of(r.body) == "forbidden");
  CHECK(h.request("POST", "/workspaces/acme/events", R"({"channel":"events:x","data":1})",
                  bearer(local))
          .status
        == 201);
  // "*" of a workspace token covers its workspace, not another one nor the global channels.
  auto star = token_for("svc", 3600, R"("workspaces":["acme"],"publish":["*"])");
  CHECK(h.request("POST", "/workspaces/acme/events", R"({"channel":"events:y","data":1})",
                  bearer(star))
          .status
        == 201);
  CHECK(h.request("POST", "/workspaces/globex/events", R"({"channel":"events:y","data":1})",
                  bearer(star))
          .status
        == 403);
  CHECK(h.request("POST", "/v1/channels/ws.globex.events:y/events", R"({"data":1})", bearer(star))
          .status
        == 403);
  CHECK(h.request("POST", "/v1/channels/orders/events", R"({"data":1})", bearer(star)).status
        == 403);
  CHECK(h.request("POST", "/feeds/f1/events", R"({"eventId":"e1","payload":{}})", bearer(star))
          .status
        == 403);
  // SnackBase ingestion writes into snackbase.workspace ("default"): not acme's.
  CHECK(h.request("POST", "/api/v1/collections/posts/events",
                  R"({"operation":"create","data":{"id":1}})", bearer(star))
          .status
        == 403);
  auto snack = token_for("svc", 3600, R"("workspaces":["default"],"publish":["postgres:*"])");
  CHECK(h.request("POST", "/api/v1/collections/posts/events",
                  R"({"operation":"create","data":{"id":1}})", bearer(snack))
          .status
        == 201);
}

TEST_CASE("gateway: a valid token without the workspace is audited as auth-denied",
          "[integration][audit]") {
  daemon_process d;
  auto admin = connect_admin(d);
  subscribe(admin, {"console.realtime.auth-granted", "console.realtime.auth-denied"});
  ws_client c;
  ws_connect_options o;
  o.headers = bearer(token_for("mallory", 3600, R"("workspaces":["globex"])"));
  REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect", o) == 101);
  auto st = c.wait_closed(3s);
  REQUIRE(st);
  CHECK(st->code == 4003);
  CHECK(st->reason == "scope_denied");
  // The admin's own auth-granted may arrive after its subscription: look for mallory's.
  std::vector<std::string> seen;
  auto ev = find_event(
    admin, [](const json::object& o) { return field_s(field_o(o, "data"), "sub") == "mallory"; },
    &seen);
  INFO(to_text(ev));
  CHECK(field_s(ev, "channel") == "console.realtime.auth-denied");
  CHECK(field_s(ev, "type") == "auth.denied");
  CHECK(field_s(field_o(ev, "data"), "workspace") == "acme");
  CHECK(field_s(field_o(ev, "data"), "reason") == "workspace not granted");
  // ... and no auth-granted for mallory, before or after it.
  for (int i = 0; i < 10; ++i)
    if (auto t = admin.read_text(300ms))
      seen.push_back(*t);
    else
      break;
  for (const auto& t : seen)
    if (t.find("mallory") != std::string::npos)
      CHECK(t.find("console.realtime.auth-denied") != std::string::npos);
}

TEST_CASE("gateway: the subscription over the limit closes 4008 and is audited as suspended",
          "[integration][audit]") {
  daemon_process d({"--set", "gateway.max_subscriptions=3"});
  auto admin = connect_admin(d);
  subscribe(admin, {"console.realtime.session-suspended"});
  ws_client c;
  ws_connect_options o;
  o.headers = bearer(token_for("alice", 3600, R"("workspaces":["acme"])"));
  REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect", o) == 101);
  for (int i = 0; i < 4; ++i)
    REQUIRE(c.send_text(R"({"type":"subscribe","channel":"postgres:t)" + std::to_string(i)
                        + "\"}"));
  auto st = c.wait_closed(3s);
  REQUIRE(st);
  CHECK(st->code == 4008);
  auto ev = next_event(admin);
  INFO(to_text(ev));
  CHECK(field_s(ev, "channel") == "console.realtime.session-suspended");
  CHECK(field_s(ev, "type") == "session.suspended");
  CHECK(field_s(field_o(ev, "data"), "sub") == "alice");
  CHECK(field_s(field_o(ev, "data"), "quota") == "subscriptions");
}
