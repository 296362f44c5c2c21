#pragma once
// The answers both HTTP paths (plain_http.cpp, and tls_http.cpp for TLS) give without the
// router. The refusals close the connection after the reply; the timeout and the reply budget
// do not.
#include <optional>
#include <string_view>

#include <boost/beast/core/error.hpp>

#include "net/io/conn_admission.hpp"
#include "net/http/app_handler.hpp"

namespace sy {

/// The reply to a request the parser refused: 413 (body over http.max_body_bytes), 431
/// (header block over http.max_header_bytes), 501 (a transfer coding other than chunked) or
/// 400 (anything else malformed, including request framing RFC 9112 forbids).
http_reply parse_refusal(const boost::beast::error_code& ec);

/// 503 for a connection over http.max_connections.
http_reply too_many_connections();

/// 503 for a connection over http.max_connections_per_ip from its address.
http_reply too_many_connections_from_address();

/// What a connection admitted as `kind` gets instead of the router: before its request
/// (`req` null) the 503 of a refused connection; with it, the 503 of a reserve connection that
/// asked for anything but GET /healthz or GET /metrics. nullopt: go on.
std::optional<http_reply> admission_refusal(admission kind, const http_request* req);

/// 503 when the router did not answer within request_timeout_ms.
http_reply router_timeout();

/// 503 shutting_down: the server got SIGTERM/SIGINT; the request was not handed to the router.
http_reply shutting_down();

/// 503 instead of a reply too large for what http.max_pending_reply_bytes_total has left.
http_reply reply_budget_exhausted();

/// A WebSocket upgrade whose Sec-WebSocket-Key is not the base64 of 16 bytes (RFC 6455 4.1),
/// or with a version other than 13: a JSON 400 rather than Beast's plain-text one. nullopt
/// when the handshake fields are usable.
std::optional<http_reply> handshake_refusal(std::string_view key, std::string_view version);

/// True for a Sec-WebSocket-Key that is the canonical base64 of exactly 16 bytes: 22 base64
/// characters, the last carrying no stray bits, then "==".
bool valid_websocket_key(std::string_view key);

} // namespace sy
