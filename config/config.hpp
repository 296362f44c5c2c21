#pragma once
// The one configuration struct. Defaults are embedded here; every field is a row of the key
// table (config/keys.hpp: key, environment names, bounds, doc), which the sample file
// config/switchyard.conf (with reasons) and README.md's table are tested against.
// Precedence: defaults < config file < environment < command-line flags.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/filter_limits.hpp"

namespace sy {

/// Settings for channels whose name starts with `prefix` (longest prefix wins).
/// The longest history TTL (10 years): now - ttl in ms stays far from overflow.
constexpr std::int64_t max_history_ttl_s = 315360000;

struct namespace_config {
  std::string prefix;
  std::size_t history_size = 500; // events kept per channel
  std::size_t snapshot = 0;       // events sent with "snapshot":true right after subscribe
  // Authorization when a token has no matching channels/publish claim: "allow", "deny", or
  // "" for the global default (allow in auth.development mode, deny otherwise).
  std::string subscribe_default;
  std::string publish_default;
  // Events older than this (by their timestamp) leave the history: pages, snapshots and
  // resumes never show them, and the store deletes them. 0: no time limit; -1: not set here,
  // history.ttl_s applies (namespace_for resolves it).
  std::int64_t history_ttl_s = -1;
};

/// One JWT verification key (auth.keys). Exactly one of secret (HS*), pem_file or pem
/// (RS256/ES256 public key) is set; the alg is the only one the key accepts.
struct jwt_key_config {
  std::string kid; // empty: used for tokens without a kid header
  std::string alg; // HS256 | HS384 | HS512 | RS256 | ES256
  std::string secret;
  std::string pem_file;
  std::string pem;
};

/// A change-data source (CHANGE-CAPTURE.md): a PostgreSQL logical replication slot whose row
/// changes become events on `ws.<workspace>.postgres:<table>`.
struct source_config {
  std::string id;                 // default: the slot name; the cluster places sources by it
  std::string kind = "postgres";  // the only kind
  std::string workspace;          // required
  std::string dsn;                // libpq conninfo; masked in check-config (it may hold a password)
  std::string publication = "switchyard";
  std::string slot;               // default: "switchyard_" + workspace
  std::vector<std::string> tables; // the publication's tables; empty: FOR ALL TABLES
  bool create_publication = true;
  bool create_slot = true;
  std::uint64_t max_lag_bytes = 1ull << 30; // over it: alert (log, metric, GET /v1/sources)
  std::size_t max_in_flight = 10000;        // changes published and not yet stored
  std::int64_t retry_max_ms = 30000;        // reconnect backoff cap (from 500 ms, doubling)
};

struct config {
  // -- network --
  std::string listen = "127.0.0.1:9009";
  std::size_t io_threads = 1;            // Beast/Asio threads; actors run on the CAF scheduler
  std::size_t max_body_bytes = 65536;    // REST request body limit (413 above)
  std::size_t max_header_bytes = 8192;   // HTTP header block limit (431 above)
  std::int64_t handshake_timeout_ms = 10000; // a request (upgrade included) must arrive in this
  std::size_t max_connections = 16384;   // open HTTP + WebSocket connections (503 above)
  std::size_t http_max_connections_per_ip = 1024; // of those, from one client address (503)
  std::size_t loopback_reserve = 8;      // more, loopback only: GET /healthz and /metrics
  // Reply bytes waiting for clients that do not read them: a reply up to the first is always
  // written, larger ones share the second (503 busy when it has no room).
  std::size_t max_pending_reply_bytes = 1 << 20;
  std::size_t max_pending_reply_bytes_total = 64 << 20;
  std::int64_t shutdown_grace_ms = 3000; // SIGTERM: time for close handshakes before exit
  // Both set: the listener speaks TLS only (https://, wss://), like nginx "listen ssl".
  std::string tls_cert_file;             // PEM certificate chain, leaf first
  std::string tls_key_file;              // PEM private key of the leaf
  std::string tls_min_version = "1.2";   // "1.2" or "1.3"

  // -- credentials (development defaults; a warning is logged while they are in use) --
  std::string jwt_secret = "switchyard-dev-secret";
  std::string api_key = "switchyard-dev-key";
  std::int64_t token_default_ttl_s = 3600;
  // jwt_secret is always the kid-less HS256 key; these add more (see AUTH.md).
  std::vector<jwt_key_config> auth_keys;
  std::string jwks_file;             // local JWKS document (RSA / EC P-256 keys)
  std::string auth_issuer;           // non-empty: tokens must carry this "iss"
  std::string auth_audience;         // non-empty: tokens' "aud" must contain it
  std::int64_t auth_leeway_s = 30;   // clock skew allowed on exp / nbf
  // Development: channels without a claim or namespace default are open. Production
  // deployments set it to false so that only claims (and namespace defaults) grant access.
  bool auth_development = true;
  std::int64_t max_session_ttl_s = 86400; // cap on POST /v1/sessions tokens

  // -- GET /metrics (README.md "Metrics") --
  std::string metrics_token;                             // "" = only metrics_allow may scrape
  std::vector<std::string> metrics_allow{"loopback"};    // addresses that need no token

  // -- the admin console (README.md "Admin console") --
  std::int64_t admin_stats_interval_ms = 1000; // console.stats is published this often

  // -- realtime (Fabric WebSocket at /realtime) --
  bool realtime_enabled = true;
  std::size_t topic_limit = 32;
  std::size_t max_frames_per_s = 200;    // inbound frames of any kind per connection per second (4008)
  std::int64_t close_timeout_ms = 5000;  // a peer not answering our close frame is cut off
  std::size_t max_connections_per_user = 10000; // WebSocket sessions per token subject (4008)
  std::size_t max_connections_per_ip = 10000;   // WebSocket sessions per client address (4008)
  std::size_t max_channels = 100000;     // channels holding events per node (quota_exceeded above)
  // Channels that exist only for subscriptions (no event yet) and wildcard patterns: a budget of
  // their own, so subscribers can never take the slots publishers need (quota_exceeded above).
  std::size_t max_empty_channels = 10000;
  std::vector<std::string> origins;      // empty: any Origin is accepted
  std::int64_t heartbeat_ms = 30000;
  std::int64_t idle_timeout_ms = 120000; // no client frame for this long: close 4002
  std::size_t max_frame_bytes = 65536;   // inbound frame limit: close 1009
  std::size_t outbound_queue_bytes = 1 << 20; // per-session send queue: close 4009 above
  std::int64_t sse_heartbeat_ms = 15000; // comment line on an idle event stream this often

  filter_limits filter;                  // bounds of one subscription filter (FILTERS.md)

  // -- workspace gateway and SnackBase dialects --
  bool gateway_enabled = true;           // /workspaces/:id/realtime/connect and its ingestion
  std::int64_t auth_timeout_ms = 5000;   // gateway: no {"type":"auth"} within this: close 4003
  std::size_t gateway_max_subscriptions = 32; // channels per gateway connection (4008 above)
  bool snackbase_enabled = true;         // /api/v1/realtime/ws and collection ingestion
  std::string snackbase_workspace = "default"; // collections are postgres: channels of this
  std::size_t snackbase_max_subscriptions = 100; // collections per SnackBase connection

  // -- channels and history --
  std::size_t history_size = 500;
  std::uint32_t history_default_limit = 100;
  std::uint32_t history_max_limit = 1000;
  std::size_t history_max_page_bytes = 1 << 20; // a history page stops before this many bytes
  std::int64_t history_ttl_s = 0; // events older than this leave the history; 0: no limit
  std::int64_t idempotency_window_ms = 300000;
  std::size_t idempotency_max_keys = 100000; // per channel; oldest keys leave first
  std::size_t idempotency_max_bytes = 32u << 20;       // per channel; oldest keys leave first
  std::size_t idempotency_max_node_bytes = 256u << 20; // all channels of the node together
  std::int64_t channel_idle_ms = 600000;     // channel with no subscriber and no publish retires
  std::int64_t channel_empty_idle_ms = 1000; // ... one that never held an event, this soon
  std::int64_t batch_window_us = 1000;       // under load, a channel fans out at most this often
  bool require_namespace = false; // true: channels outside every namespace are unavailable
  // Fabric's status/metrics topics fill UI state with a snapshot right after subscribing.
  // console.realtime.* carries the gateway audit topics; only admins read it and
  // only the router writes it, whatever this entry says (schema/audit_channels.hpp).
  std::vector<source_config> sources; // change-data sources (CHANGE-CAPTURE.md)
  std::vector<namespace_config> namespaces = {{"tunnel.", 500, 1, "", ""},
                                              {"retrylab.", 500, 1, "", ""},
                                              {"scanner.", 500, 10, "", ""},
                                              {"console.realtime.", 500, 0, "deny", "deny"}};

  // -- cluster (CLUSTER.md): off while cluster_port is 0 --
  std::uint16_t cluster_port = 0;          // CAF remoting port of this node
  std::string cluster_host = "127.0.0.1";  // address the other nodes use to reach it
  std::string cluster_node_id;             // "" -> "<cluster_host>:<cluster_port>"
  std::vector<std::string> cluster_join;   // seed nodes "host:port"
  std::size_t cluster_replicas = 1;        // history copies on the next nodes (0, 1 or 2)
  std::int64_t cluster_request_timeout_ms = 2000; // every request to another node

  // -- storage (DURABILITY.md): the durable history store --
  std::string storage_engine = "rocksdb";        // "rocksdb" or "memory"
  std::string storage_dir = "./switchyard-data"; // RocksDB's directory (one daemon per dir)
  std::string storage_sync = "batch";            // "batch": one WAL fsync per write batch; "none"
  std::size_t storage_cache_bytes = 256u << 20;  // events in memory, hot tails + block cache

  // -- rooms (PROTOCOL.md "Rooms"): members, metadata and state of the channel room.R --
  std::size_t rooms_max_members = 1000;      // members of one room (room_full above)
  std::size_t rooms_max_state_bytes = 65536; // a room's state document (state_too_large above)
  std::size_t rooms_max_info_bytes = 1024;   // one member's info object (info_too_large above)
  // Presence diffs collected this long go to every member as one frame, so a join storm of J
  // joins costs members x (J / window) frames, not members x J.
  std::int64_t rooms_presence_window_ms = 50;

  // -- runtime --
  std::string scheduler_policy = "affine";  // "affine" (actors/affine_sharing.hpp), "sharing", "stealing"
  std::size_t scheduler_threads = 0;         // 0: one per core
  std::int64_t request_timeout_ms = 5000;    // REST -> actor request timeout (503 after)
  std::string log_level = "info";
  std::string log_format = "text";           // "text" or "json" (one object per line)
  // Lines of one kind (connection open, auth refusal, ...) per second; the rest are counted
  // into one "N more suppressed" line, so a flood of bad clients cannot flood the log. 0 = all.
  std::uint32_t log_max_per_second = 20;
  std::string audit_file;                    // JSON-lines audit trail; "" = off

  /// Namespace settings for a channel (falls back to the global history size, no snapshot).
  namespace_config namespace_for(std::string_view channel) const;
  /// False only with require_namespace and a topic under no namespace prefix. A wildcard
  /// ("prefix*") is known when it lies inside a namespace or covers one. log.event and
  /// log.audit always are.
  bool known_topic(std::string_view topic) const;
  /// True when the built-in development secret or API key is in use.
  bool uses_dev_credentials() const;
};

/// Result of loading: the config, or the first error found (file, env or flag).
struct config_result {
  config cfg;
  std::string error; // empty on success
  std::string source_file;
};

/// Builds the effective config. `flag_sets` are "key=value" overrides from the command line.
config_result load_config(const std::optional<std::string>& config_file,
                          const std::vector<std::string>& flag_sets);
/// Applies the text of a config file (JSON with comments and trailing commas; nested objects
/// are dotted keys). Returns the first error, empty on success; `cfg` keeps the settings
/// applied before it.
std::string apply_config_text(config& cfg, std::string_view text);
/// Applies "key=value" (dotted key, as printed by describe_config).
std::string apply_setting(config& cfg, std::string_view key, std::string_view value);
/// Semantic checks; empty string when valid.
std::string validate_config(const config& cfg);
/// The effective config as JSON text, secrets masked.
std::string describe_config(const config& cfg);
/// Splits "host:port"; false when malformed.
bool split_host_port(std::string_view hp, std::string& host, std::uint16_t& port);

/// storage.cache_bytes split: with the rocksdb engine an eighth is RocksDB's block cache (reads
/// beyond the hot tails), an eighth its two memtables (writes not yet in table files) and the
/// rest the channels' hot tails; with the memory engine all of it bounds the events retained.
inline std::size_t store_block_cache_bytes(const config& c) {
  return c.storage_engine == "rocksdb" ? c.storage_cache_bytes / 8 : 0;
}
inline std::size_t store_write_buffer_bytes(const config& c) {
  return c.storage_engine == "rocksdb" ? c.storage_cache_bytes / 16 : 0;
}
inline std::size_t hot_tail_bytes(const config& c) {
  return c.storage_cache_bytes - store_block_cache_bytes(c) - 2 * store_write_buffer_bytes(c);
}

} // namespace sy
