#pragma once
// A server-side WebSocket connection. Implements ws_link for its session. Writes go through the
// cork. Plain TCP reads with a bare readiness wait and non-blocking reads (no buffer held while
// idle); TLS keeps one async_read_some outstanding into a per-connection buffer (see tls_state).
// All state lives on the connection's loop thread. Instantiated for tcp::socket and tls_stream
// only: the outbound side in ws_connection.cpp, the inbound side in ws_connection_input.cpp.
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "net/io/conn_registry.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/stream_types.hpp"
#include "net/ws/cork_socket.hpp"
#include "net/ws/ws_frame.hpp"
#include "net/ws/ws_limits.hpp"
#include "schema/link.hpp"

namespace sy {

/// What only a TLS connection holds: an empty base, so zero bytes, on plain TCP.
template <class Stream>
struct tls_state {};

template <>
struct tls_state<tls_stream> {
  // OpenSSL may hold decrypted bytes the socket no longer signals, so TLS cannot read on
  // readiness: a read is always outstanding into this buffer. 4 KB per TLS connection, on top
  // of the TLS stream's own record buffers (measured in README Configuration).
  std::array<char, 4096> tls_rbuf_;
  bool tls_shutdown_started_ = false; // close_notify sent (or being sent)
  bool tls_peer_gone_ = false;        // the transport failed: no close_notify exchange
};

template <class Stream>
class ws_connection final : public ws_link,
                            public closable,
                            public loop_connection,
                            private tls_state<Stream>,
                            public std::enable_shared_from_this<ws_connection<Stream>> {
public:
  using open_fn = std::function<std::shared_ptr<ws_handler>(std::shared_ptr<ws_link>)>;

  ws_connection(Stream&& stream, io_loop& loop, const ws_limits& limits,
                std::shared_ptr<conn_registry> registry);
  ~ws_connection() override;

  /// Sends the 101 `response`, opens the session and starts reading. `leftover` holds bytes
  /// the HTTP parser read past the upgrade request.
  void start(std::string response, std::string leftover, open_fn open,
             dialect wire = dialect::fabric);

  // -- ws_link --
  void send(frame_ptr frame) override;
  void send_batch(event_batch batch, std::size_t offset) override;
  void close(std::uint16_t code, std::string reason) override;
  void send_ping() override;
  std::int64_t last_rx_ms() const override {
    return last_rx_ms_.load(std::memory_order_relaxed);
  }
  void queued_bytes(std::function<void(std::size_t)> done) override;

  // -- loop_connection: loop thread (from io_loop's drain) --
  void enqueue_frame(const frame_ptr& frame) override;
  void enqueue_batch(const std::vector<event_ptr>& batch, std::size_t offset) override;
  void start_close(std::uint16_t code, std::string reason) override;
  void flush_dirty() override;

  // -- closable --
  void shutdown() override;
  void abandon() override;

private:
  static constexpr bool tls = is_tls_v<Stream>;

  void wait_readable();
  void on_readable();                                        // plain TCP
  void on_tls_read(boost::system::error_code ec, std::size_t n); // TLS
  /// Takes `n` bytes read from the client; false once the connection finished.
  bool consume(const char* data, std::size_t n);
  /// Our close frame has left: plain TCP half-closes, TLS sends close_notify.
  void half_close();
  void start_tls_shutdown();
  void close_transport(); // from finish()
  /// Consumes complete frames from in_.
  void parse_input();
  void on_frame(std::uint8_t opcode, bool fin, std::string&& payload);
  void on_close_frame(std::string_view payload);
  /// Counts one inbound frame; false (after starting a 4008 close) over realtime.max_frames_per_s.
  bool within_frame_rate();
  void fail_input(std::uint16_t code, const char* reason);
  bool queue_frame(const frame_ptr& frame);
  void do_close(std::uint16_t code, std::string reason);
  void finish(std::uint16_t code, std::string reason); // socket gone: close it, report once
  void notify_closed(std::uint16_t code, std::string reason);
  void touch();
  void mark_dirty();

  io_loop& loop_;
  cork_socket<Stream> out_;
  bool dirty_ = false; // queued in this drain pass, flush pending
  dialect wire_ = dialect::fabric; // the live frame sent of each event
  std::string in_;        // bytes read but not yet parsed (empty while idle)
  std::string message_;   // a fragmented text message being assembled (rare)
  bool in_message_ = false;
  ws::utf8_validator utf8_; // of the fragmented message being assembled
  bool discard_ = false;  // input is unparseable after a protocol error: drop it
  std::uint64_t skip_ = 0; // bytes left of a refused oversized frame
  std::size_t max_message_;
  std::size_t max_frames_per_s_;
  std::int64_t rate_window_ms_ = 0; // start of the current one-second window
  std::size_t frames_in_window_ = 0;
  std::int64_t close_timeout_ms_;
  std::size_t queue_limit_;
  bool closing_ = false;  // we sent a close frame
  bool finished_ = false;
  bool registered_ = false;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  std::shared_ptr<ws_handler> handler_;
  std::shared_ptr<conn_registry> registry_;
  std::unique_ptr<asio::steady_timer> close_timer_; // allocated only when closing
  std::atomic<std::int64_t> last_rx_ms_;
};

} // namespace sy
