#include "config/keys.hpp"

#include <cctype>
#include <limits>

#include <boost/json.hpp>

#include "config/key_rows.hpp"

namespace json = boost::json;

namespace sy::key_rows {

std::vector<config_key> network_keys() {
  std::vector<config_key> t;
  t.push_back(string_key("listen", {"SWITCHYARD_LISTEN"}, &config::listen)
                .describe("host:port of the one listener (REST and WebSocket)"));
  t.push_back(uint_key("io_threads", {"SWITCHYARD_IO_THREADS"}, &config::io_threads)
                .describe("Asio threads; actors run on the CAF scheduler")
                .at_least(1)
                .at_most(64));
  t.push_back(uint_key("http.max_body_bytes", {"SWITCHYARD_MAX_BODY_BYTES"},
                       &config::max_body_bytes)
                .describe("REST request body limit: 413 above")
                .at_least(1024));
  t.push_back(uint_key("http.max_header_bytes", {"SWITCHYARD_MAX_HEADER_BYTES"},
                       &config::max_header_bytes)
                .describe("HTTP header block limit: 431 above")
                .at_least(1024));
  t.push_back(int_key("http.handshake_timeout_ms", {"SWITCHYARD_HANDSHAKE_TIMEOUT_MS"},
                      &config::handshake_timeout_ms)
                .describe("a whole request (upgrades too) must arrive in this")
                .at_least(100));
  t.push_back(uint_key("http.max_connections", {"SWITCHYARD_MAX_CONNECTIONS"},
                       &config::max_connections)
                .describe("open HTTP and WebSocket connections: 503 too_many_connections above")
                .at_least(1));
  // Environment: the derived SWITCHYARD_HTTP_<KEY> names only.
  t.push_back(uint_key("http.max_connections_per_ip", {}, &config::http_max_connections_per_ip)
                .describe("of those, from one client address (503 too_many_connections above)")
                .at_least(1));
  t.push_back(uint_key("http.loopback_reserve", {}, &config::loopback_reserve)
                .describe("more slots, loopback only, for GET /healthz and /metrics; 0 = none"));
  t.push_back(uint_key("http.max_pending_reply_bytes", {}, &config::max_pending_reply_bytes)
                .describe("a reply up to this size is always written to a client that does not "
                          "read it (see [PROTOCOL.md](PROTOCOL.md#http-limits-and-refusals))")
                .at_least(1024));
  t.push_back(uint_key("http.max_pending_reply_bytes_total", {},
                       &config::max_pending_reply_bytes_total)
                .describe("larger replies share this over all connections (503 busy when full); "
                          "at least http.max_pending_reply_bytes"));
  t.push_back(string_key("tls.cert_file", {"SWITCHYARD_TLS_CERT_FILE"}, &config::tls_cert_file)
                .describe("PEM certificate chain, leaf first; with tls.key_file the listener "
                          "speaks TLS only; \"\" = plain TCP"));
  t.push_back(string_key("tls.key_file", {"SWITCHYARD_TLS_KEY_FILE"}, &config::tls_key_file)
                .describe("PEM private key of the leaf certificate; set with tls.cert_file"));
  t.push_back(
    string_key("tls.min_version", {"SWITCHYARD_TLS_MIN_VERSION"}, &config::tls_min_version)
      .describe("lowest TLS version accepted")
      .one_of({"1.2", "1.3"}));
  t.push_back(uint_key("realtime.max_frames_per_s", {"SWITCHYARD_MAX_FRAMES_PER_S"},
                       &config::max_frames_per_s)
                .describe("inbound frames of any kind per connection per second: close 4008 above")
                .at_least(1));
  t.push_back(int_key("realtime.close_timeout_ms", {"SWITCHYARD_CLOSE_TIMEOUT_MS"},
                      &config::close_timeout_ms)
                .describe("a peer not answering our close frame is cut off after this")
                .at_least(100));
  t.push_back(uint_key("quota.max_connections_per_user", {"SWITCHYARD_MAX_CONNECTIONS_PER_USER"},
                       &config::max_connections_per_user)
                .describe("WebSocket sessions per token subject: close 4008 above")
                .at_least(1));
  t.push_back(uint_key("quota.max_connections_per_ip", {"SWITCHYARD_MAX_CONNECTIONS_PER_IP"},
                       &config::max_connections_per_ip)
                .describe("WebSocket sessions per client address: close 4008 above")
                .at_least(1));
  t.push_back(uint_key("quota.max_channels", {"SWITCHYARD_MAX_CHANNELS"}, &config::max_channels)
                .describe("channels holding events per node: quota_exceeded above")
                .at_least(1));
  t.push_back(uint_key("quota.max_empty_channels", {"SWITCHYARD_MAX_EMPTY_CHANNELS"},
                       &config::max_empty_channels)
                .describe("channels made by subscribing, and wildcard patterns: quota_exceeded "
                          "above")
                .at_least(1));
  t.push_back(int_key("shutdown_grace_ms", {"SWITCHYARD_SHUTDOWN_GRACE_MS"},
                      &config::shutdown_grace_ms)
                .describe("SIGTERM: time to drain (answer, deliver, close with 1001) before exit"));
  return t;
}

std::vector<config_key> auth_keys() {
  std::vector<config_key> t;
  t.push_back(
    string_key("auth.jwt_secret", {"SWITCHYARD_JWT_SECRET"}, &config::jwt_secret, true)
      .describe("the kid-less HS256 key; the development default is warned about"));
  t.push_back(string_key("auth.api_key", {"SWITCHYARD_API_KEY"}, &config::api_key, true)
                .describe("key of the publishing and admin REST routes; the development "
                          "default is warned about"));
  t.push_back(int_key("auth.token_default_ttl_s", {"SWITCHYARD_TOKEN_TTL_S"},
                      &config::token_default_ttl_s)
                .describe("`switchyard token` and POST /v1/sessions without ttl")
                .at_least(1));
  auto keys = row("auth.keys", key_type::json, {"SWITCHYARD_AUTH_KEYS"});
  keys.set = [](config& c, std::string_view v) { return parse_keys(v, c.auth_keys); };
  keys.get = [](const config& c) { return keys_json(c.auth_keys); };
  t.push_back(std::move(keys).describe(
    "more verification keys: a JSON array of {kid, alg, and one of secret, pem_file, pem} "
    "(see [AUTH.md](AUTH.md))"));
  t.push_back(string_key("auth.jwks_file", {"SWITCHYARD_JWKS_FILE"}, &config::jwks_file)
                .describe("local JWKS document (RSA n/e, EC P-256 x/y); \"\" = none"));
  t.push_back(string_key("auth.issuer", {"SWITCHYARD_AUTH_ISSUER"}, &config::auth_issuer)
                .describe("non-empty: tokens must carry this iss"));
  t.push_back(string_key("auth.audience", {"SWITCHYARD_AUTH_AUDIENCE"}, &config::auth_audience)
                .describe("non-empty: a token's aud (string or array) must hold it"));
  t.push_back(int_key("auth.leeway_s", {"SWITCHYARD_AUTH_LEEWAY_S"}, &config::auth_leeway_s)
                .describe("clock skew tolerated on exp and nbf")
                .at_most(600));
  t.push_back(bool_key("auth.development", {"SWITCHYARD_AUTH_DEVELOPMENT"},
                       &config::auth_development)
                .describe("true: channels without a claim or namespace default are open; set "
                          "false in production"));
  t.push_back(int_key("auth.max_session_ttl_s", {"SWITCHYARD_MAX_SESSION_TTL_S"},
                      &config::max_session_ttl_s)
                .describe("POST /v1/sessions caps ttl at this")
                .at_least(1));
  return t;
}

std::vector<config_key> realtime_keys() {
  std::vector<config_key> t;
  t.push_back(bool_key("realtime.enabled", {"SWITCHYARD_REALTIME_ENABLED", "REALTIME_ENABLED"},
                       &config::realtime_enabled)
                .describe("false turns the Fabric WebSocket /realtime off (REST stays)"));
  t.push_back(uint_key("realtime.topic_limit",
                       {"SWITCHYARD_REALTIME_TOPIC_LIMIT", "REALTIME_TOPIC_LIMIT"},
                       &config::topic_limit)
                .describe("topics per /realtime connection")
                .at_least(1));
  t.push_back(list_key("realtime.origins", {"SWITCHYARD_REALTIME_ORIGINS", "REALTIME_ORIGINS"},
                       &config::origins)
                .describe("allowed Origin values of a WebSocket upgrade; empty = any"));
  t.push_back(int_key("realtime.heartbeat_ms", {"SWITCHYARD_HEARTBEAT_MS"}, &config::heartbeat_ms)
                .describe("heartbeat interval")
                .at_least(100));
  t.push_back(int_key("realtime.idle_timeout_ms", {"SWITCHYARD_IDLE_TIMEOUT_MS"},
                      &config::idle_timeout_ms)
                .describe("no client frame for this long: close 4002")
                .at_least(100));
  t.push_back(uint_key("realtime.max_frame_bytes", {"SWITCHYARD_MAX_FRAME_BYTES"},
                       &config::max_frame_bytes)
                .describe("larger inbound frame: close 1009")
                .at_least(1024));
  t.push_back(uint_key("realtime.outbound_queue_bytes", {"SWITCHYARD_OUTBOUND_QUEUE_BYTES"},
                       &config::outbound_queue_bytes)
                .describe("per-connection send queue: close 4009 above")
                .at_least(1024));
  t.push_back(int_key("sse.heartbeat_ms", {"SWITCHYARD_SSE_HEARTBEAT_MS"},
                      &config::sse_heartbeat_ms)
                .describe("comment line on an idle event stream this often")
                .at_least(100));
  // Bounds of one subscription filter (FILTERS.md): each runs for every event of its channel.
  t.push_back(filter_key("filter.max_path_depth", &filter_limits::max_path_depth)
                .describe("segments of one predicate path: invalid_filter above")
                .at_least(1));
  t.push_back(filter_key("filter.max_operand_depth", &filter_limits::max_operand_depth)
                .describe("nesting inside one predicate operand: invalid_filter above")
                .at_least(1));
  t.push_back(filter_key("filter.max_predicates", &filter_limits::max_predicates)
                .describe("operator terms of one filter: invalid_filter above")
                .at_least(1));
  t.push_back(filter_key("filter.max_in_values", &filter_limits::max_in_values)
                .describe("elements of one $in or $nin array: invalid_filter above")
                .at_least(1));
  t.push_back(filter_key("filter.max_operations", &filter_limits::max_operations)
                .describe("entries of a filter's operations: invalid_filter above")
                .at_least(1));
  return t;
}

std::vector<config_key> cluster_and_dialect_keys() {
  std::vector<config_key> t;
  t.push_back(uint_key("cluster.port", {"SWITCHYARD_CLUSTER_PORT"}, &config::cluster_port)
                .describe("CAF remoting port of this node; 0 = single node "
                          "(see [CLUSTER.md](CLUSTER.md))"));
  t.push_back(string_key("cluster.host", {"SWITCHYARD_CLUSTER_HOST"}, &config::cluster_host)
                .describe("address the other nodes reach this node at"));
  t.push_back(
    string_key("cluster.node_id", {"SWITCHYARD_CLUSTER_NODE_ID"}, &config::cluster_node_id)
      .describe("\"\" = host:port"));
  t.push_back(list_key("cluster.join", {"SWITCHYARD_CLUSTER_JOIN"}, &config::cluster_join)
                .describe("seed nodes, host:port; any one is enough"));
  t.push_back(uint_key("cluster.replicas", {"SWITCHYARD_CLUSTER_REPLICAS"},
                       &config::cluster_replicas)
                .describe("history copies on the next nodes in hash order")
                .at_most(2));
  t.push_back(int_key("cluster.request_timeout_ms", {"SWITCHYARD_CLUSTER_REQUEST_TIMEOUT_MS"},
                      &config::cluster_request_timeout_ms)
                .describe("every request to another node")
                .at_least(50));
  t.push_back(bool_key("gateway.enabled", {"SWITCHYARD_GATEWAY_ENABLED"}, &config::gateway_enabled)
                .describe("the workspace gateway endpoint and its ingestion"));
  t.push_back(int_key("gateway.auth_timeout_ms", {"SWITCHYARD_GATEWAY_AUTH_TIMEOUT_MS"},
                      &config::auth_timeout_ms)
                .describe("no auth message (and no Bearer) in time: close 4003")
                .at_least(100));
  t.push_back(uint_key("gateway.max_subscriptions", {"SWITCHYARD_GATEWAY_MAX_SUBSCRIPTIONS"},
                       &config::gateway_max_subscriptions)
                .describe("channels per gateway connection: close 4008 above")
                .at_least(1));
  t.push_back(bool_key("snackbase.enabled", {"SWITCHYARD_SNACKBASE_ENABLED"},
                       &config::snackbase_enabled)
                .describe("the SnackBase endpoint and collection ingestion"));
  t.push_back(string_key("snackbase.workspace", {"SWITCHYARD_SNACKBASE_WORKSPACE"},
                         &config::snackbase_workspace)
                .describe("workspace of the collections: collection c is channel "
                          "ws.{workspace}.postgres:c"));
  t.push_back(uint_key("snackbase.max_subscriptions", {"SWITCHYARD_SNACKBASE_MAX_SUBSCRIPTIONS"},
                       &config::snackbase_max_subscriptions)
                .describe("collections per SnackBase connection: error frame above")
                .at_least(1));
  return t;
}

} // namespace sy::key_rows

namespace sy {

json::value config_key::default_value() const {
  return get(config{});
}

std::vector<std::string> config_key::documented_env() const {
  return env.empty() ? std::vector<std::string>{derived_env_name(key)} : env;
}

const std::vector<config_key>& config_keys() {
  static const std::vector<config_key> table = [] {
    std::vector<config_key> t;
    using namespace key_rows;
    for (auto part : {network_keys, auth_keys, realtime_keys, cluster_and_dialect_keys,
                      channel_keys, storage_keys, rooms_keys, runtime_keys, metrics_keys,
                      console_keys, source_keys})
      for (auto& k : part())
        t.push_back(std::move(k));
    return t;
  }();
  return table;
}

const config_key* find_config_key(std::string_view key) {
  for (const auto& k : config_keys())
    if (k.key == key)
      return &k;
  return nullptr;
}

std::string derived_env_name(std::string_view key) {
  std::string out = "SWITCHYARD_";
  for (char c : key)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

} // namespace sy