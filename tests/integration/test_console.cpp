// console.stats: the node's numbers for the admin console, published while an admin listens,
// admin-only to read, refused to every publisher, never written to the durable store.
#include "cluster_support.hpp"
#include "durable_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

header_list bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

// The next console.stats event within `timeout` (other frames are skipped); empty when none.
json::object next_stats(ws_client& c, std::chrono::milliseconds timeout = 3s) {
  auto deadline = steady::now() + timeout;
  for (int i = 0; i < 50 && steady::now() < deadline; ++i) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    auto t = c.read_text(std::max(left, std::chrono::milliseconds(1)));
    if (!t)
      break;
    auto v = parse_json(*t);
    if (v.is_object() && field_s(v.as_object(), "op") == "event"
        && field_s(v.as_object(), "channel") == "console.stats")
      return v.as_object();
  }
  return {};
}

} // namespace

TEST_CASE("console.stats: an admin subscriber sees publishes grow after a REST publish",
          "[integration][console]") {
  temp_data_dir dir;
  std::vector<std::string> args = durable_args(dir, {"--set", "admin.stats_interval_ms=200"});
  {
    daemon_process d(args);
    http_client rest(d.port());
    ws_client admin;
    REQUIRE(admin.connect(d.port(), "/realtime?token=" + token_for("root", 3600, R"("admin":true)"))
            == 101);
    subscribe(admin, {"console.stats"});
    auto first = next_stats(admin);
    REQUIRE_FALSE(first.empty());
    CHECK(field_s(first, "type") == "stats");
    const auto& data = field_o(first, "data");
    CHECK(keys_of(data) == keys({"connections", "connectionsByDialect", "channels",
                                 "subscriptions", "publishes", "deliveries", "publishRate",
                                 "deliveryRate", "rooms", "members", "clusterMembers"}));
    CHECK(keys_of(field_o(data, "connectionsByDialect"))
          == keys({"fabric", "gateway", "snackbase", "sse"}));
    CHECK(field_i(data, "connections") >= 1); // the admin itself
    CHECK(field_i(field_o(data, "connectionsByDialect"), "fabric") >= 1);
    CHECK(field_i(data, "subscriptions") >= 1);
    auto members = data.find("clusterMembers");
    REQUIRE(members != data.end());
    CHECK(members->value().is_array());
    CHECK(members->value().as_array().empty()); // not clustered
    auto before = field_i(data, "publishes");
    REQUIRE(before >= 0);

    for (int i = 0; i < 3; ++i)
      publish(rest, "console.test", R"({"data":{"n":1}})", 201);
    // Within a few intervals a stats event counts the three publishes, with a rate above 0.
    std::int64_t seen = before;
    bool rate_seen = false;
    auto deadline = steady::now() + 5s;
    while (steady::now() < deadline && (seen < before + 3 || !rate_seen)) {
      auto ev = next_stats(admin, 1s);
      if (ev.empty())
        continue;
      const auto& d2 = field_o(ev, "data");
      seen = field_i(d2, "publishes");
      auto rate = d2.find("publishRate");
      if (rate != d2.end() && rate->value().is_number() && rate->value().to_number<double>() > 0)
        rate_seen = true;
    }
    CHECK(seen == before + 3);
    CHECK(rate_seen);

    // Nobody may publish to it, the API key and admins included.
    for (const std::string& credential :
         {test_api_key, token_for("root", 3600, R"("admin":true)"),
          token_for("forger", 3600, R"("publish":["*"])")}) {
      auto r = rest.request("POST", "/v1/channels/console.stats/events",
                            R"({"type":"stats","data":{"publishes":1000000}})", bearer(credential));
      INFO(r.body);
      CHECK(r.status == 403);
      CHECK(error_code_of(r.body) == "forbidden");
    }

    // A non-admin token is refused, also with a claim naming it (Fabric: an error frame).
    ws_client plain;
    REQUIRE(plain.connect(d.port(), "/realtime?token="
                                      + token_for("viewer", 3600, R"("channels":["*"])"))
            == 101);
    REQUIRE(plain.send_text(R"({"op":"subscribe","topics":["console.stats"]})"));
    auto refusal = next_object(plain);
    CHECK(field_s(refusal, "op") == "error");
    CHECK(field_s(refusal, "code") == "scope_denied");
    CHECK(field_s(refusal, "topic") == "console.stats");
    // ... and a wildcard of a non-admin never carries it.
    subscribe(plain, {"console.*"});
    for (int i = 0; i < 5; ++i) {
      auto t = plain.read_text(150ms);
      if (t)
        CHECK(t->find("console.stats") == std::string::npos);
    }
    auto history = rest.request("GET", "/v1/channels/console.stats/events", {},
                                bearer(token_for("viewer", 3600, R"("channels":["*"])")));
    CHECK(history.status == 403);
    // The admin reads its small in-memory history.
    auto admin_history = rest.request("GET", "/v1/channels/console.stats/events", {},
                                      api_key_auth());
    REQUIRE(admin_history.status == 200);
    CHECK(admin_history.body.find("\"type\":\"stats\"") != std::string::npos);
  }
  // Never written to the durable store: after a restart on the same store there is nothing.
  daemon_process again(args);
  http_client rest(again.port());
  auto page = rest.request("GET", "/v1/channels/console.stats/events", {}, api_key_auth());
  REQUIRE(page.status == 200);
  auto v = parse_json(page.body);
  REQUIRE(v.is_object());
  CHECK(v.as_object()["events"].as_array().empty());
}

TEST_CASE("console.stats is published only while someone subscribes to it",
          "[integration][console]") {
  daemon_process d({"--set", "admin.stats_interval_ms=100", "--set", "storage.engine=memory"});
  http_client rest(d.port());
  // Nobody watches: after several intervals the channel holds nothing.
  std::this_thread::sleep_for(600ms);
  auto empty = rest.request("GET", "/v1/channels/console.stats/events", {}, api_key_auth());
  REQUIRE(empty.status == 200);
  CHECK(empty.body.find("\"type\":\"stats\"") == std::string::npos);
  {
    ws_client admin;
    REQUIRE(admin.connect(d.port(), "/realtime?token=" + token_for("root", 3600, R"("admin":true)"))
            == 101);
    subscribe(admin, {"console.stats"});
    REQUIRE_FALSE(next_stats(admin).empty());
    REQUIRE(admin.send_text(R"({"op":"unsubscribe","topics":["console.stats"]})"));
  }
  // Gone: the count stops growing (allow one event already on its way).
  auto count = [&] {
    auto r = rest.request("GET", "/v1/channels/console.stats/events?limit=1000", {},
                          api_key_auth());
    REQUIRE(r.status == 200);
    auto v = parse_json(r.body);
    REQUIRE(v.is_object());
    return v.as_object()["events"].as_array().size();
  };
  std::this_thread::sleep_for(300ms);
  auto settled = count();
  CHECK(settled >= 1);
  std::this_thread::sleep_for(600ms);
  CHECK(count() == settled);
}

TEST_CASE("GET /admin serves the embedded console with a strict Content-Security-Policy",
          "[integration][console]") {
  daemon_process d({"--set", "storage.engine=memory"});
  http_client h(d.port());
  const char* csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                    "connect-src 'self'; base-uri 'none'; form-action 'none'; "
                    "frame-ancestors 'none'";
  const std::pair<const char*, const char*> files[] = {
    {"/admin", "text/html; charset=utf-8"},
    {"/admin/", "text/html; charset=utf-8"},
    {"/admin/index.html", "text/html; charset=utf-8"},
    {"/admin/app.js", "text/javascript; charset=utf-8"},
    {"/admin/app.css", "text/css; charset=utf-8"},
  };
  for (const auto& [path, type] : files) {
    auto r = h.request("GET", path);
    INFO(path);
    CHECK(r.status == 200);
    CHECK(r.headers["content-type"] == type);
    CHECK(r.headers["content-security-policy"] == csp);
    CHECK(r.headers["cache-control"] == "no-store");
    CHECK(r.headers["x-content-type-options"] == "nosniff");
    CHECK_FALSE(r.body.empty());
  }
  // The page loads only its own files: no CDN, no inline script.
  auto index = h.request("GET", "/admin");
  CHECK(index.body.find("<script type=\"module\" src=\"/admin/app.js\"></script>")
        != std::string::npos);
  CHECK(index.body.find("http://") == std::string::npos);
  CHECK(index.body.find("https://") == std::string::npos);
  // API replies keep their plain head.
  auto health = h.request("GET", "/healthz");
  CHECK(health.headers.count("content-security-policy") == 0);
  // Only the table's names exist; other methods are refused.
  for (const char* path : {"/admin/nope.js", "/admin/..%2Fconfig", "/admin/app.js/x"}) {
    auto r = h.request("GET", path);
    INFO(path);
    CHECK(r.status == 404);
    CHECK(error_code_of(r.body) == "not_found");
  }
  auto post = h.request("POST", "/admin/app.js", "{}");
  CHECK(post.status == 405);
  CHECK(error_code_of(post.body) == "method_not_allowed");
}

TEST_CASE("POST /admin/token gives admins a short-lived admin token for the WebSocket",
          "[integration][console]") {
  daemon_process d({"--set", "storage.engine=memory", "--set", "auth.token_default_ttl_s=600"});
  http_client h(d.port());
  auto none = h.request("POST", "/admin/token");
  CHECK(none.status == 401);
  CHECK(error_code_of(none.body) == "unauthorized");
  auto plain = h.request("POST", "/admin/token", {},
                         bearer(token_for("viewer", 3600, R"("channels":["*"])")));
  CHECK(plain.status == 403);
  CHECK(error_code_of(plain.body) == "forbidden");
  CHECK(h.request("GET", "/admin/token", {}, api_key_auth()).status == 405);

  auto r = h.request("POST", "/admin/token", {}, api_key_auth());
  REQUIRE(r.status == 200);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  auto& o = v.as_object();
  CHECK(keys_of(o) == keys({"token", "sub", "expiresAt", "ttl"}));
  CHECK(field_s(o, "sub") == "api_key");
  CHECK(field_i(o, "ttl") == 600);
  // The token opens the WebSocket and reads console.stats.
  ws_client c;
  REQUIRE(c.connect(d.port(), "/realtime?token=" + field_s(o, "token")) == 101);
  subscribe(c, {"console.stats"});
  // An admin token's own expiry bounds the one it gets.
  auto short_admin = h.request("POST", "/admin/token", {},
                               bearer(token_for("root", 60, R"("admin":true)")));
  REQUIRE(short_admin.status == 200);
  auto s = parse_json(short_admin.body);
  REQUIRE(s.is_object());
  CHECK(field_s(s.as_object(), "sub") == "root");
  CHECK(field_i(s.as_object(), "ttl") <= 60);
  CHECK(field_i(s.as_object(), "ttl") >= 55);
}

TEST_CASE("console.stats in a cluster: each node publishes its own numbers and lists the members",
          "[integration][console][cluster]") {
  node a, b;
  a.cluster_port = free_port();
  b.cluster_port = free_port();
  auto args = [](const node& n, const std::string& join) {
    std::vector<std::string> v{"--cluster-port", std::to_string(n.cluster_port), "--set",
                               "admin.stats_interval_ms=200"};
    if (!join.empty()) {
      v.push_back("--join");
      v.push_back(join);
    }
    return v;
  };
  a.d = std::make_unique<daemon_process>(args(a, ""));
  b.d = std::make_unique<daemon_process>(args(b, a.id()));
  wait_converged({&a, &b});
  const std::string admin_token = token_for("root", 3600, R"("admin":true)");
  ws_client on_a, on_b;
  REQUIRE(on_a.connect(a.d->port(), "/realtime?token=" + admin_token) == 101);
  REQUIRE(on_b.connect(b.d->port(), "/realtime?token=" + admin_token) == 101);
  subscribe(on_a, {"console.stats"});
  subscribe(on_b, {"console.stats"});
  // The node whose numbers an event carries: the member flagged self.
  auto self_of = [](const json::object& ev) {
    std::string self;
    int up = 0;
    for (const auto& m : field_o(ev, "data").at("clusterMembers").as_array()) {
      up += field_s(m.as_object(), "state") == "up" ? 1 : 0;
      if (field_b(m.as_object(), "self"))
        self = field_s(m.as_object(), "nodeId");
    }
    return std::make_pair(self, up);
  };
  // Every event a subscriber on a node gets is that node's own, whoever owns the name.
  for (int i = 0; i < 4; ++i) {
    auto ea = next_stats(on_a);
    auto eb = next_stats(on_b);
    REQUIRE_FALSE(ea.empty());
    REQUIRE_FALSE(eb.empty());
    CHECK(self_of(ea) == std::make_pair(a.id(), 2));
    CHECK(self_of(eb) == std::make_pair(b.id(), 2));
  }
  // Publishes counted where the REST request came in.
  auto before_a = field_i(field_o(next_stats(on_a), "data"), "publishes");
  auto before_b = field_i(field_o(next_stats(on_b), "data"), "publishes");
  http_client rest(a.d->port());
  for (int i = 0; i < 3; ++i)
    publish(rest, "console.cluster." + std::to_string(i), R"({"data":1})", 201);
  std::int64_t now_a = before_a;
  auto deadline = steady::now() + 5s;
  while (now_a < before_a + 3 && steady::now() < deadline) {
    auto ev = next_stats(on_a, 1s);
    if (!ev.empty())
      now_a = field_i(field_o(ev, "data"), "publishes");
  }
  CHECK(now_a == before_a + 3);
  CHECK(field_i(field_o(next_stats(on_b), "data"), "publishes") == before_b);
}
