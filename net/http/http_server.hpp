#pragma once
// The listener: one port for REST and WebSocket upgrades. Owns the io_context and its threads.
// Header is free of Beast/Asio so that main.cpp stays cheap to compile.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "net/http/app_handler.hpp"
#include "net/http/tls_context.hpp"
#include "net/ws/ws_limits.hpp"

namespace sy {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9009;
  std::size_t io_threads = 1;
  std::size_t max_body_bytes = 65536;
  std::size_t max_header_bytes = 8192;
  std::size_t max_frame_bytes = 65536;
  std::size_t max_frames_per_s = 200;       // inbound WebSocket frames, all opcodes; 4008 above
  std::size_t outbound_queue_bytes = 1 << 20;
  std::int64_t request_timeout_ms = 5000; // REST request -> router answer, 503 after
  std::int64_t handshake_timeout_ms = 10000; // a whole request must arrive within this
  std::size_t max_connections = 16384;      // served connections; 503 above
  std::size_t max_connections_per_ip = 1024; // served connections from one address; 503 above
  std::size_t loopback_reserve = 8;         // more, loopback only, for /healthz and /metrics
  std::size_t max_pending_reply_bytes = 1 << 20;        // a reply this size is always written
  std::size_t max_pending_reply_bytes_total = 64 << 20; // larger ones share this; 503 busy
  std::int64_t close_timeout_ms = 5000;     // WebSocket close handshake, then the socket goes
  std::int64_t sse_heartbeat_ms = 15000;    // comment line on an event stream this often
  tls_options tls;                          // enabled(): the listener speaks TLS only

  /// The limits of a WebSocket connection upgraded on this listener.
  ws_limits websocket() const {
    return {max_frame_bytes, max_frames_per_s, outbound_queue_bytes, close_timeout_ms};
  }
};

class http_server {
public:
  virtual ~http_server() = default;
  /// Loads the TLS files (when set), binds and listens; returns "" on success or the error.
  /// port() is valid afterwards.
  virtual std::string listen() = 0;
  virtual std::uint16_t port() const = 0;
  /// Starts the I/O threads.
  virtual void run() = 0;
  /// Blocks until SIGINT or SIGTERM.
  virtual void wait_for_signal() = 0;
  /// Shutdown, step 1: from now on every request parsed (new connections, pipelined and
  /// partly received requests included) is answered 503 shutting_down with `Connection:
  /// close`; requests already handed to the application are answered as usual.
  virtual void begin_drain() = 0;
  /// Step 2: waits until every request handed to the application has been answered (or timed
  /// out), at most `timeout_ms`. Returns how many are still unanswered.
  virtual std::size_t await_answers(std::int64_t timeout_ms) = 0;
  /// Step 3 (after the application drained its own work): asks every WebSocket to close with
  /// 1001 through its handler, behind what it queued (ws_handler::on_shutdown), and waits up
  /// to `grace_ms` for the close handshakes; then stops accepting, answers any request
  /// already in an HTTP connection with 503 shutting_down and closes them, stops the I/O
  /// threads and reports connections that did not finish as closed (1001) to their handlers.
  virtual void shutdown(std::int64_t grace_ms) = 0;

  static std::unique_ptr<http_server> make(server_options opts, std::shared_ptr<app_handler> app);
};

} // namespace sy
