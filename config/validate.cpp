// Semantic checks of a loaded config. The bounds of single keys are also rows of the key table
// (config/keys.cpp), and tests/unit/config_keys_test.cpp checks that each is enforced here; the
// checks stay written out in this order so the first error reported and its text do not change.
#include <charconv>
#include <fstream>
#include <string>

#include "config/config.hpp"
#include "schema/workspace.hpp"

namespace sy {

namespace {

bool readable_file(const std::string& path) {
  std::ifstream in(path);
  return static_cast<bool>(in);
}

} // namespace

bool split_host_port(std::string_view hp, std::string& host, std::uint16_t& port) {
  auto colon = hp.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  unsigned p = 0;
  auto ps = hp.substr(colon + 1);
  auto r = std::from_chars(ps.data(), ps.data() + ps.size(), p);
  if (ps.empty() || r.ec != std::errc{} || r.ptr != ps.data() + ps.size() || p > 65535)
    return false;
  host = std::string(hp.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  port = static_cast<std::uint16_t>(p);
  return true;
}

std::string validate_config(const config& c) {
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(c.listen, host, port))
    return "listen: expected host:port, got \"" + c.listen + "\"";
  // Half a TLS setup would silently serve plain text where TLS was intended: refuse it.
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    return std::string("tls.cert_file and tls.key_file must be set together (")
           + (c.tls_cert_file.empty() ? "tls.cert_file" : "tls.key_file") + " is empty)";
  if (!c.tls_cert_file.empty() && !readable_file(c.tls_cert_file))
    return "tls.cert_file: cannot read " + c.tls_cert_file;
  if (!c.tls_key_file.empty() && !readable_file(c.tls_key_file))
    return "tls.key_file: cannot read " + c.tls_key_file;
  if (c.tls_min_version != "1.2" && c.tls_min_version != "1.3")
    return "tls.min_version must be \"1.2\" or \"1.3\"";
  if (c.jwt_secret.empty())
    return "auth.jwt_secret must not be empty";
  if (c.api_key.empty())
    return "auth.api_key must not be empty";
  if (c.io_threads == 0 || c.io_threads > 64)
    return "io_threads must be 1..64";
  if (c.topic_limit == 0)
    return "realtime.topic_limit must be at least 1";
  if (c.gateway_max_subscriptions == 0 || c.snackbase_max_subscriptions == 0)
    return "gateway.max_subscriptions and snackbase.max_subscriptions must be at least 1";
  if (c.filter.max_path_depth == 0 || c.filter.max_operand_depth == 0
      || c.filter.max_predicates == 0 || c.filter.max_in_values == 0
      || c.filter.max_operations == 0)
    return "filter.* limits must be at least 1";
  if (c.cluster_replicas > 2)
    return "cluster.replicas must be 0, 1 or 2";
  if (c.cluster_request_timeout_ms < 50)
    return "cluster.request_timeout_ms must be at least 50";
  for (const auto& j : c.cluster_join) {
    std::string h;
    std::uint16_t p = 0;
    if (!split_host_port(j, h, p) || p == 0)
      return "cluster.join: \"" + j + "\" is not host:port";
  }
  if (c.auth_timeout_ms < 100)
    return "gateway.auth_timeout_ms must be at least 100";
  if (!valid_workspace_id(c.snackbase_workspace))
    return "snackbase.workspace must be 1-64 characters of [A-Za-z0-9_-]";
  if (c.max_frames_per_s == 0 || c.max_connections == 0 || c.max_connections_per_user == 0
      || c.max_connections_per_ip == 0 || c.max_channels == 0 || c.max_empty_channels == 0)
    return "connection, frame-rate and channel limits must be at least 1";
  if (c.http_max_connections_per_ip == 0)
    return "http.max_connections_per_ip must be at least 1";
  if (c.max_pending_reply_bytes < 1024
      || c.max_pending_reply_bytes_total < c.max_pending_reply_bytes)
    return "http.max_pending_reply_bytes must be at least 1024 and at most "
           "http.max_pending_reply_bytes_total";
  if (c.handshake_timeout_ms < 100 || c.close_timeout_ms < 100)
    return "http.handshake_timeout_ms and realtime.close_timeout_ms must be at least 100";
  if (c.heartbeat_ms < 100 || c.idle_timeout_ms < 100)
    return "realtime.heartbeat_ms and realtime.idle_timeout_ms must be at least 100";
  if (c.max_frame_bytes < 1024 || c.max_body_bytes < 1024 || c.max_header_bytes < 1024)
    return "frame, body and header limits must be at least 1024 bytes";
  if (c.outbound_queue_bytes < 1024)
    return "realtime.outbound_queue_bytes must be at least 1024";
  if (c.sse_heartbeat_ms < 100)
    return "sse.heartbeat_ms must be at least 100";
  if (c.admin_stats_interval_ms < 100)
    return "admin.stats_interval_ms must be at least 100";
  if (c.history_size == 0)
    return "history.size must be at least 1";
  if (c.history_default_limit == 0 || c.history_max_limit == 0
      || c.history_default_limit > c.history_max_limit)
    return "history.default_limit must be 1..history.max_limit";
  if (c.history_max_page_bytes < 1024)
    return "history.max_page_bytes must be at least 1024";
  if (c.history_ttl_s < 0 || c.history_ttl_s > max_history_ttl_s)
    return "history.ttl_s must be 0.." + std::to_string(max_history_ttl_s) + " (10 years)";
  if (c.idempotency_window_ms < 1 || c.idempotency_max_keys == 0)
    return "idempotency.window_ms and idempotency.max_keys must be positive";
  if (c.idempotency_max_bytes < 1024 || c.idempotency_max_node_bytes < c.idempotency_max_bytes)
    return "idempotency.max_bytes must be at least 1024 and at most idempotency.max_node_bytes";
  if (c.channel_idle_ms < 1)
    return "channel.idle_ms must be positive";
  if (c.channel_empty_idle_ms < 0 || c.channel_empty_idle_ms > c.channel_idle_ms)
    return "channel.empty_idle_ms must be 0..channel.idle_ms";
  if (c.storage_engine != "rocksdb" && c.storage_engine != "memory")
    return "storage.engine must be \"rocksdb\" or \"memory\", got \"" + c.storage_engine + "\"";
  if (c.storage_engine == "rocksdb" && c.storage_dir.empty())
    return "storage.dir must name a directory when storage.engine is \"rocksdb\"";
  if (c.storage_sync != "batch" && c.storage_sync != "none")
    return "storage.sync must be \"batch\" or \"none\", got \"" + c.storage_sync + "\"";
  if (c.storage_cache_bytes < (1u << 20))
    return "storage.cache_bytes must be at least 1048576 (1 MiB)";
  if (c.scheduler_policy != "affine" && c.scheduler_policy != "sharing"
      && c.scheduler_policy != "stealing")
    return "scheduler.policy must be \"affine\", \"sharing\" or \"stealing\"";
  for (const auto& ns : c.namespaces) {
    if (ns.prefix.empty())
      return "namespace prefix must not be empty";
    if (ns.history_size == 0)
      return "namespace \"" + ns.prefix + "\": history_size must be at least 1";
    if (ns.snapshot > ns.history_size)
      return "namespace \"" + ns.prefix + "\": snapshot cannot exceed history_size";
    if (ns.history_ttl_s > max_history_ttl_s)
      return "namespace \"" + ns.prefix + "\": history_ttl_s must be at most "
             + std::to_string(max_history_ttl_s);
    for (const auto* d : {&ns.subscribe_default, &ns.publish_default})
      if (!d->empty() && *d != "allow" && *d != "deny")
        return "namespace \"" + ns.prefix
               + "\": subscribe_default/publish_default must be \"allow\", \"deny\" or \"\"";
  }
  // Key material itself is parsed by the authenticator (net/auth/auth.hpp auth_config_error); here
  // the shape and the files' presence are checked so check-config catches typos early.
  for (std::size_t i = 0; i < c.auth_keys.size(); ++i) {
    const auto& k = c.auth_keys[i];
    auto where = "auth.keys[" + std::to_string(i) + "]";
    bool hs = k.alg == "HS256" || k.alg == "HS384" || k.alg == "HS512";
    bool pk = k.alg == "RS256" || k.alg == "ES256";
    if (!hs && !pk)
      return where + ": alg must be HS256, HS384, HS512, RS256 or ES256";
    int sources = !k.secret.empty() + !k.pem_file.empty() + !k.pem.empty();
    if (sources != 1)
      return where + ": set exactly one of secret, pem_file, pem";
    if (hs && k.secret.empty())
      return where + ": " + k.alg + " keys take a secret";
    if (pk && !k.secret.empty())
      return where + ": " + k.alg + " keys take a PEM public key (pem_file or pem), not a secret";
    if (!k.pem_file.empty() && !readable_file(k.pem_file))
      return where + ": cannot read pem_file " + k.pem_file;
    for (std::size_t j = 0; j < i; ++j)
      if (!k.kid.empty() && c.auth_keys[j].kid == k.kid)
        return where + ": duplicate kid \"" + k.kid + "\"";
  }
  if (!c.jwks_file.empty() && !readable_file(c.jwks_file))
    return "auth.jwks_file: cannot read " + c.jwks_file;
  if (c.auth_leeway_s > 600)
    return "auth.leeway_s must be 0..600";
  if (c.token_default_ttl_s < 1 || c.max_session_ttl_s < 1)
    return "auth.token_default_ttl_s and auth.max_session_ttl_s must be at least 1";
  if (c.log_level != "trace" && c.log_level != "debug" && c.log_level != "info"
      && c.log_level != "warn" && c.log_level != "error" && c.log_level != "off")
    return "log_level must be trace|debug|info|warn|error|off";
  if (c.log_format != "text" && c.log_format != "json")
    return "log.format must be text|json";
  if (c.rooms_max_members < 1)
    return "rooms.max_members must be at least 1";
  // "{}" is the smallest state and info: a bound below it would refuse every room.
  if (c.rooms_max_state_bytes < 2 || c.rooms_max_info_bytes < 2)
    return "rooms.max_state_bytes and rooms.max_info_bytes must be at least 2";
  return {};
}

} // namespace sy
