#pragma once
// The boundary between a session actor and its socket. `ws_link` is implemented by net/ (Beast);
// `ws_handler` is implemented by actors/ (forwards into the session actor). Neither side sees the
// other's library: no Beast in actors/, no CAF in the Beast translation units.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "schema/event.hpp"
#include "schema/frame.hpp"

namespace sy {

/// The session's handle on its connection. Every member is safe to call from any thread: work is
/// pushed onto the outbox of the I/O loop the connection is pinned to, and runs on that loop's
/// one thread (net/io/io_loop.hpp), in the order the calls were made.
class ws_link {
public:
  virtual ~ws_link() = default;
  /// Queues one text message. If the queued bytes exceed the connection's bound the connection
  /// is closed with close_code::slow_consumer and the handler's on_closed reports it.
  virtual void send(frame_ptr frame) = 0;
  /// Queues the live frame (in the connection's dialect) of every event of `batch` from index
  /// `offset` on: one push onto the loop's outbox and one gather-write for the whole batch.
  /// Events the dialect has no frame for are skipped.
  virtual void send_batch(event_batch batch, std::size_t offset) = 0;
  /// Sends a WebSocket ping: clients answer with a pong, which counts as activity. Keeps
  /// dialects without a client keep-alive message inside realtime.idle_timeout_ms.
  virtual void send_ping() = 0;
  /// Starts a close handshake with `code` (no-op when already closing).
  virtual void close(std::uint16_t code, std::string reason) = 0;
  /// Milliseconds (steady clock) of the last frame received from the client, pings included.
  virtual std::int64_t last_rx_ms() const = 0;
  /// Calls `done` with the bytes waiting behind a write the client has not taken yet (what the
  /// realtime.outbound_queue_bytes bound counts), on the connection's I/O thread, in order with
  /// the sends before it (the admin API's queuedBytes; the count is the loop thread's alone,
  /// so it is read there rather than shared). Never called if the loop has stopped.
  virtual void queued_bytes(std::function<void(std::size_t)> done) {
    done(0);
  }
};

/// Callbacks from the connection, on its I/O loop's thread (on_closed may also run on the thread
/// that stops the server, once the I/O threads have been joined).
class ws_handler {
public:
  virtual ~ws_handler() = default;
  virtual void on_text(std::string&& text) = 0;
  /// The server is shutting down. True: the handler closes the connection itself (with 1001,
  /// behind what it has queued); false: the connection closes with 1001 at once.
  virtual bool on_shutdown() {
    return false;
  }
  /// Called exactly once, when the connection is gone (`code` 1006 when no close frame).
  virtual void on_closed(std::uint16_t code, std::string reason) = 0;
};

} // namespace sy
