#pragma once
// The application interface of the HTTP server, without Beast or CAF types: the server parses
// HTTP and WebSocket, the application (net/bridge/app.cpp) decides what a request gets and what a
// WebSocket connection talks to.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/io/pass_scheduler.hpp"
#include "schema/link.hpp"

namespace sy {

struct http_request {
  std::string method;
  std::string target;        // path + query, as sent
  std::string body;
  std::string authorization; // header values ("" when absent)
  std::string origin;
  bool has_origin = false;
  std::string user_agent;
  std::string last_event_id; // Last-Event-ID (an EventSource reconnecting)
  std::string remote;        // peer address:port
  std::string remote_ip;     // peer address (per-IP quotas)
  bool websocket_upgrade = false;
  pass_scheduler* pass = nullptr; // valid during on_http, on the calling thread
};

struct http_reply {
  unsigned status = 200;
  std::string body;
  const char* content_type = "application/json"; // static text: no copy per reply
  // More header lines, each ending in "\r\n" (static text; the console's files send their
  // Content-Security-Policy and cache rules here). nullptr: none, as for every API reply.
  const char* headers = nullptr;
};

/// Completes an HTTP request; may be called from any thread, exactly once.
using reply_fn = std::function<void(http_reply)>;

struct upgrade_decision {
  std::optional<http_reply> refusal; // set: answer with this instead of upgrading
  dialect wire = dialect::fabric;    // which live frame of each event the connection sends
  /// Called on the connection's I/O loop thread once the handshake succeeded.
  std::function<std::shared_ptr<ws_handler>(std::shared_ptr<ws_link>)> open;
};

class app_handler {
public:
  virtual ~app_handler() = default;
  virtual void on_http(http_request req, reply_fn reply) = 0;
  virtual upgrade_decision on_upgrade(const http_request& req) = 0;
  /// A GET for an event stream (is_event_stream_request): `refusal` set answers it like a
  /// request; otherwise `open` makes the session and `stream_head` is the response head.
  /// nullopt: not a stream after all, served by on_http.
  virtual std::optional<upgrade_decision> on_event_stream(const http_request& req,
                                                          std::string& stream_head) {
    (void)req;
    (void)stream_head;
    return std::nullopt;
  }
};

std::string json_error_body(std::string_view code, std::string_view message);

} // namespace sy
