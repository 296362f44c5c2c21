#pragma once
// The listener's options from the config: the one place where the network settings of `config`
// (config/keys.cpp) reach `server_options`. Header-only, so neither library depends on the other.
#include "config/config.hpp"
#include "net/http/http_server.hpp"

namespace sy {

inline tls_options tls_options_from(const config& cfg) {
  return {cfg.tls_cert_file, cfg.tls_key_file, cfg.tls_min_version};
}

/// `cfg` has passed validate_config, so `listen` is a valid host:port.
inline server_options server_options_from(const config& cfg) {
  server_options opts;
  split_host_port(cfg.listen, opts.host, opts.port);
  opts.io_threads = cfg.io_threads;
  opts.max_body_bytes = cfg.max_body_bytes;
  opts.max_header_bytes = cfg.max_header_bytes;
  opts.max_frame_bytes = cfg.max_frame_bytes;
  opts.max_frames_per_s = cfg.max_frames_per_s;
  opts.outbound_queue_bytes = cfg.outbound_queue_bytes;
  opts.request_timeout_ms = cfg.request_timeout_ms;
  opts.handshake_timeout_ms = cfg.handshake_timeout_ms;
  opts.max_connections = cfg.max_connections;
  opts.max_connections_per_ip = cfg.http_max_connections_per_ip;
  opts.loopback_reserve = cfg.loopback_reserve;
  opts.max_pending_reply_bytes = cfg.max_pending_reply_bytes;
  opts.max_pending_reply_bytes_total = cfg.max_pending_reply_bytes_total;
  opts.close_timeout_ms = cfg.close_timeout_ms;
  opts.sse_heartbeat_ms = cfg.sse_heartbeat_ms;
  opts.tls = tls_options_from(cfg);
  return opts;
}

} // namespace sy
