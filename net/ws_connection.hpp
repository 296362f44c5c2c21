#pragma once
// A server-side WebSocket connection (Beast over a plain socket: the smallest per-connection
// footprint measured here). Implements ws_link for its session; all state lives on its strand.
#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "net/conn_registry.hpp"
#include "net/cork_socket.hpp"
#include "net/http_server.hpp"

namespace sy {

namespace beast = boost::beast;
using tcp = asio::ip::tcp;

class ws_connection final : public ws_link,
                            public closable,
                            public std::enable_shared_from_this<ws_connection> {
public:
  using open_fn = std::function<std::shared_ptr<ws_handler>(std::shared_ptr<ws_link>)>;

  ws_connection(tcp::socket&& socket, const server_options& opts,
                std::shared_ptr<conn_registry> registry);
  ~ws_connection() override;

  /// Completes the handshake for `req`, then calls `open` to obtain the handler.
  void start(beast::http::request<beast::http::string_body> req, open_fn open);

  // -- ws_link --
  void send(frame_ptr frame) override;
  void send_batch(event_batch batch, std::size_t offset) override;
  void close(std::uint16_t code, std::string reason) override;
  std::int64_t last_rx_ms() const override {
    return last_rx_ms_.load(std::memory_order_relaxed);
  }

  // -- closable --
  void shutdown() override;
  void abandon() override;

private:
  void do_read();
  void on_read(beast::error_code ec, std::size_t n);
  /// Queues one frame; false when the connection is closing or the send queue overflowed.
  bool queue_frame(const frame_ptr& frame);
  void do_close(std::uint16_t code, std::string reason);
  void notify_closed(std::uint16_t code, std::string reason);
  void touch();

  beast::websocket::stream<cork_socket> ws_;
  beast::flat_buffer buffer_;
  std::size_t queue_limit_;
  bool closing_ = false;
  bool registered_ = false;
  std::uint16_t close_code_ = 0;
  std::shared_ptr<ws_handler> handler_;
  std::shared_ptr<conn_registry> registry_;
  std::unique_ptr<asio::steady_timer> close_timer_; // allocated only when closing
  std::atomic<std::int64_t> last_rx_ms_;
};

} // namespace sy
