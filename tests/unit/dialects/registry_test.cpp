// The dialect registry (schema/dialects/registry.cpp): each descriptor at its id, the paths and
// options the upgrade and REST routing read from it.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "schema/dialects/registry.hpp"

using namespace sy;

namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos)
      return out;
    start = slash + 1;
  }
}

} // namespace

TEST_CASE("every dialect sits at its id in the registry", "[codec][registry]") {
  REQUIRE(dialects().size() == dialect_count);
  std::set<std::string> names, paths;
  for (std::size_t i = 0; i < dialects().size(); ++i) {
    const dialect_descriptor* d = dialects()[i];
    REQUIRE(d);
    CHECK(static_cast<std::size_t>(d->id) == i);
    CHECK(&dialect_for(d->id) == d);
    REQUIRE(d->codec);
    CHECK(d->codec->decode);
    CHECK(d->live);
    CHECK(d->enabled);
    CHECK(d->workspace);
    CHECK(d->topic_limit);
    names.insert(d->name);
    if (!d->ws_path.empty()) // SSE has no WebSocket endpoint
      paths.insert(std::string(d->ws_path));
    if (d->ingest) {
      CHECK(d->ingest->check_param);
      CHECK(d->ingest->parse);
      paths.insert(std::string(d->ingest->path));
    }
  }
  CHECK(names.size() == dialect_count);
  CHECK(std::string(dialect_name(dialect::fabric)) == "fabric");
  CHECK(std::string(dialect_name(dialect::gateway)) == "gateway");
  CHECK(std::string(dialect_name(dialect::snackbase)) == "snackbase");
  CHECK(std::string(dialect_name(dialect::sse)) == "sse");
  CHECK(paths == std::set<std::string>{"realtime", "workspaces/{id}/realtime/connect",
                                       "api/v1/realtime/ws", "workspaces/{id}/events",
                                       "api/v1/collections/{collection}/events"});
}

TEST_CASE("path templates match whole paths with one parameter", "[codec][registry]") {
  CHECK(match_path("realtime", split("realtime")) == std::string_view());
  CHECK_FALSE(match_path("realtime", split("realtime/x")));
  CHECK_FALSE(match_path("realtime", split("Realtime")));
  CHECK(match_path("workspaces/{id}/realtime/connect", split("workspaces/acme/realtime/connect"))
        == std::string_view("acme"));
  CHECK(match_path("workspaces/{id}/events", split("workspaces//events")) == std::string_view());
  CHECK_FALSE(match_path("workspaces/{id}/events", split("workspaces/acme/events/x")));
  CHECK_FALSE(match_path("workspaces/{id}/events", split("workspaces/acme")));
  CHECK_FALSE(match_path("api/v1/realtime/ws", split("api/v2/realtime/ws")));
  CHECK(match_path("api/v1/collections/{collection}/events",
                   split("api/v1/collections/posts/events"))
        == std::string_view("posts"));
}

TEST_CASE("dialect options come from their config keys", "[codec][registry]") {
  config cfg;
  cfg.topic_limit = 7;
  cfg.gateway_max_subscriptions = 8;
  cfg.snackbase_max_subscriptions = 9;
  cfg.snackbase_workspace = "sb";
  const auto& fabric = dialect_for(dialect::fabric);
  const auto& gateway = dialect_for(dialect::gateway);
  const auto& snackbase = dialect_for(dialect::snackbase);
  CHECK(fabric.topic_limit(cfg) == 7);
  CHECK(gateway.topic_limit(cfg) == 8);
  CHECK(snackbase.topic_limit(cfg) == 9);
  CHECK(fabric.workspace("", cfg) == std::string());
  CHECK(gateway.workspace("acme", cfg) == std::string("acme"));
  CHECK_FALSE(gateway.workspace("a.b", cfg)); // 404 on upgrade
  CHECK(snackbase.workspace("", cfg) == std::string("sb"));
  CHECK(fabric.enabled(cfg));
  cfg.gateway_enabled = false;
  cfg.snackbase_enabled = false;
  CHECK_FALSE(gateway.enabled(cfg));
  CHECK_FALSE(snackbase.enabled(cfg));
  // Fabric clients ping; gateway and SnackBase clients listen silently and get WebSocket pings.
  CHECK(fabric.keep_alive == keep_alive_policy::client_ping);
  CHECK(gateway.keep_alive == keep_alive_policy::ws_ping);
  CHECK(snackbase.keep_alive == keep_alive_policy::ws_ping);
  CHECK(gateway.refresh_checks_workspace);
  CHECK_FALSE(fabric.refresh_checks_workspace);
  CHECK_FALSE(fabric.ingest); // the core REST routes
  REQUIRE(gateway.ingest);
  auto bad = gateway.ingest->check_param("a.b");
  REQUIRE(bad);
  CHECK(http_status(bad->code) == 400);
  CHECK(wire_code(bad->code) == "invalid_workspace");
  CHECK_FALSE(gateway.ingest->path_channel); // the body names the channel
  REQUIRE(snackbase.ingest);
  CHECK(wire_code(snackbase.ingest->check_param("po.sts")->code) == "invalid_collection");
  CHECK(snackbase.ingest->path_channel("posts", cfg) == "ws.sb.postgres:posts");
}

TEST_CASE("ingestion routes map bodies to the channel and status they publish or refuse",
          "[codec][registry]") {
  config cfg;
  const auto& gw = *dialect_for(dialect::gateway).ingest;
  auto ok = gw.parse("acme",
                     boost::json::object{{"channel", "events:signup"}, {"data", 1},
                                         {"metadata", boost::json::object{{"k", "v"}}}},
                     cfg);
  REQUIRE(std::holds_alternative<ingest_publish>(ok));
  CHECK(std::get<ingest_publish>(ok).channel == "ws.acme.events:signup");
  CHECK(std::get<ingest_publish>(ok).type == "event");
  CHECK(std::get<ingest_publish>(ok).metadata);
  auto unknown = gw.parse("acme", boost::json::object{{"channel", "redis:x"}}, cfg);
  REQUIRE(std::holds_alternative<rest_refusal>(unknown));
  CHECK(http_status(std::get<rest_refusal>(unknown).code) == 404);
  CHECK(wire_code(std::get<rest_refusal>(unknown).code) == "channel_unavailable");
  auto bad = gw.parse("acme", boost::json::object{{"channel", 5}}, cfg);
  CHECK(http_status(std::get<rest_refusal>(bad).code) == 400);

  const auto& sb = *dialect_for(dialect::snackbase).ingest;
  auto row = sb.parse("posts",
                      boost::json::object{{"operation", "create"},
                                          {"data", boost::json::object{{"id", "p1"}}}},
                      cfg);
  REQUIRE(std::holds_alternative<ingest_publish>(row));
  CHECK(std::get<ingest_publish>(row).channel == "ws.default.postgres:posts");
  CHECK(std::get<ingest_publish>(row).type == "INSERT");
  auto refused = sb.parse("posts", boost::json::object{{"operation", "upsert"}}, cfg);
  CHECK(http_status(std::get<rest_refusal>(refused).code) == 400);
}
