#pragma once
// A Server-Sent Events response (GET /v1/channels/{channel}/stream) as a connection of its own,
// the way an upgrade hands its transport to a WebSocket connection: after the request, the HTTP
// connection gives the socket to an sse_stream, which writes the response headers and then
// whatever its session sends, until either side ends it. The session is the same actor as a
// WebSocket's (dialect sse) and reaches the socket the same way: ws_link pushes onto the loop's
// outbox and the loop's drain queues and flushes (loop_connection). The response has no
// Content-Length and no chunking: its body ends when the connection closes.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "net/http/app_handler.hpp"
#include "net/http/http_server.hpp"
#include "net/http/sse_head.hpp"
#include "net/io/conn_registry.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/stream_types.hpp"
#include "net/ws/cork_socket.hpp"
#include "schema/link.hpp"

namespace sy {

template <class Stream>
class sse_stream final : public ws_link,
                         public closable,
                         public loop_connection,
                         public std::enable_shared_from_this<sse_stream<Stream>> {
public:
  sse_stream(Stream&& stream, io_loop& loop, const server_options& opts,
             std::shared_ptr<conn_registry> registry);
  ~sse_stream() override;

  /// Writes `head`, opens the session and watches the socket for the client leaving.
  void start(std::string head, upgrade_decision decision);

  // -- ws_link (any thread) --
  void send(frame_ptr frame) override;
  void send_batch(event_batch batch, std::size_t offset) override;
  void send_ping() override {
  } // the stream's own heartbeat comments keep it alive
  void close(std::uint16_t code, std::string reason) override;
  /// A stream has no client frames to time out on: a client that left is seen by the read
  /// watch (EOF) or by a failed write, so the session's idle timeout never applies.
  std::int64_t last_rx_ms() const override;
  void queued_bytes(std::function<void(std::size_t)> done) override;

  // -- loop_connection: loop thread --
  void enqueue_frame(const frame_ptr& frame) override;
  void enqueue_batch(const std::vector<event_ptr>& batch, std::size_t offset) override;
  void start_close(std::uint16_t code, std::string reason) override;
  void flush_dirty() override;

  // -- closable --
  void shutdown() override;
  void abandon() override;

private:
  bool within_bound(std::size_t more);
  void mark_dirty();
  void watch_input();
  void arm_heartbeat();
  void do_close(std::uint16_t code, std::string reason);
  void finish(std::uint16_t code, std::string reason);
  void notify_closed(std::uint16_t code, std::string reason);

  io_loop& loop_;
  cork_socket<Stream> out_;
  std::size_t queue_limit_;
  std::int64_t heartbeat_ms_;
  std::int64_t close_timeout_ms_;
  asio::steady_timer timer_; // the heartbeat; after a close, the bound on the last write
  std::array<char, 256> rbuf_; // what a client sends after its request is read and dropped
  bool dirty_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool registered_ = false;
  std::shared_ptr<ws_handler> handler_;
  std::shared_ptr<conn_registry> registry_;
};

/// Hands `stream` (its request read) to a new sse_stream on `loop`'s thread, keeping `ticket`,
/// the HTTP connection's place under the connection limits.
template <class Stream>
void start_event_stream(Stream&& stream, io_loop& loop, const server_options& opts,
                        const std::shared_ptr<conn_registry>& registry, admission_ticket ticket,
                        std::string head, upgrade_decision decision) {
  auto conn = std::make_shared<sse_stream<Stream>>(std::move(stream), loop, opts, registry);
  registry->adopt(conn.get(), std::move(ticket));
  conn->start(std::move(head), std::move(decision));
}

} // namespace sy
