#include "net/http/http_refusals.hpp"

#include <boost/beast/http/error.hpp>

#include "net/http/request_parser.hpp"
#include "metrics/hooks.hpp"
#include "schema/errc.hpp"

namespace sy {

namespace {

// Status and code from one row of the error table (schema/errc.hpp).
http_reply json_reply(errc e, std::string_view message) {
  metrics::refused(e);
  return {http_status(e), json_error_body(wire_code(e), message), "application/json"};
}

} // namespace

http_reply parse_refusal(const boost::beast::error_code& ec) {
  namespace http = boost::beast::http;
  if (ec == http::error::body_limit)
    return json_reply(errc::payload_too_large, "request body over http.max_body_bytes");
  if (ec == http::error::header_limit)
    return json_reply(errc::headers_too_large, "header block over http.max_header_bytes");
  if (ec == request_error::unsupported_transfer_coding)
    return json_reply(errc::not_implemented, ec.message());
  return json_reply(errc::bad_request, "malformed HTTP request: " + ec.message());
}

http_reply too_many_connections() {
  return json_reply(errc::too_many_connections,
                    "the server is at http.max_connections; retry later");
}

http_reply too_many_connections_from_address() {
  return json_reply(errc::too_many_connections,
                    "this address is at http.max_connections_per_ip; retry later");
}

std::optional<http_reply> admission_refusal(admission kind, const http_request* req) {
  const bool total = kind == admission::refused_total || kind == admission::reserve_total;
  if (kind == admission::served || (is_reserve(kind) && req == nullptr))
    return std::nullopt;
  if (is_reserve(kind) && !req->websocket_upgrade && req->method == "GET") {
    std::string_view path(req->target);
    path = path.substr(0, path.find('?'));
    if (path == "/healthz" || path == "/metrics")
      return std::nullopt;
  }
  return total ? too_many_connections() : too_many_connections_from_address();
}

http_reply router_timeout() {
  return json_reply(errc::unavailable, "the router did not answer in time");
}

http_reply shutting_down() {
  return json_reply(errc::shutting_down,
                    "the server is shutting down: nothing was done; retry on another node or "
                    "after the restart");
}

http_reply reply_budget_exhausted() {
  return json_reply(errc::busy,
                    "too many reply bytes wait for clients that do not read them "
                    "(http.max_pending_reply_bytes_total); retry later");
}

bool valid_websocket_key(std::string_view key) {
  // 16 bytes = 5 groups of 3 (20 characters) + 1 byte: 2 characters, the second holding only
  // its top 2 bits (A, Q, g or w), then the padding.
  auto b64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
           || c == '/';
  };
  if (key.size() != 24 || key[22] != '=' || key[23] != '=')
    return false;
  for (std::size_t i = 0; i < 22; ++i)
    if (!b64(key[i]))
      return false;
  const char last = key[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

std::optional<http_reply> handshake_refusal(std::string_view key, std::string_view version) {
  if (version != "13")
    return json_reply(errc::bad_request,
                      "invalid WebSocket upgrade: needs Sec-WebSocket-Version: 13");
  if (!valid_websocket_key(key))
    return json_reply(errc::bad_request,
                      "invalid WebSocket upgrade: Sec-WebSocket-Key must be the base64 of 16 "
                      "bytes, sent once");
  return std::nullopt;
}

} // namespace sy
