#include "net/http_refusals.hpp"

#include <boost/beast/http/error.hpp>

namespace sy {

http_reply parse_refusal(const boost::beast::error_code& ec) {
  namespace http = boost::beast::http;
  if (ec == http::error::body_limit)
    return {413, json_error_body("payload_too_large", "request body over http.max_body_bytes"),
            "application/json"};
  if (ec == http::error::header_limit)
    return {431, json_error_body("headers_too_large", "header block over http.max_header_bytes"),
            "application/json"};
  return {400, json_error_body("bad_request", "malformed HTTP request: " + ec.message()),
          "application/json"};
}

http_reply too_many_connections() {
  return {503,
          json_error_body("too_many_connections",
                          "the server is at http.max_connections; retry later"),
          "application/json"};
}

http_reply router_timeout() {
  return {503, json_error_body("unavailable", "the router did not answer in time"),
          "application/json"};
}

std::optional<http_reply> handshake_refusal(std::string_view key, std::string_view version) {
  if (!key.empty() && version == "13")
    return std::nullopt;
  return http_reply{400,
                    json_error_body("bad_request", "invalid WebSocket upgrade: needs "
                                                   "Sec-WebSocket-Key and Sec-WebSocket-Version: 13"),
                    "application/json"};
}

} // namespace sy
