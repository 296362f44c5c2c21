// The WebSocket connection's life and its outbound side: opening, queueing frames for the cork
// (the write path every event takes), close handshakes and teardown. The inbound side, reading
// and parsing the client's frames, is in ws_connection_input.cpp.
#include "net/ws/ws_connection.hpp"

#include <array>
#include <chrono>

#include "net/ws/ws_frame.hpp"
#include "schema/codes.hpp"

namespace sy {

template <class Stream>
ws_connection<Stream>::ws_connection(Stream&& stream, io_loop& loop, const ws_limits& limits,
                                     std::shared_ptr<conn_registry> registry)
  : loop_(loop),
    out_(std::move(stream)),
    max_message_(limits.max_message_bytes),
    max_frames_per_s_(limits.max_frames_per_s),
    close_timeout_ms_(limits.close_timeout_ms),
    queue_limit_(limits.outbound_queue_bytes),
    registry_(std::move(registry)),
    last_rx_ms_(0) {
  touch();
  if constexpr (!tls) { // readiness waits + non-blocking reads (TLS uses async reads)
    boost::system::error_code ec;
    out_.socket().non_blocking(true, ec);
  }
}

template <class Stream>
ws_connection<Stream>::~ws_connection() {
  if (registered_)
    registry_->remove(this, true);
  if (handler_) // torn down without a close report (e.g. io_context destroyed)
    handler_->on_closed(close_code::abnormal, "connection lost");
}

template <class Stream>
void ws_connection<Stream>::start(std::string response, std::string leftover, open_fn open,
                                  dialect wire) {
  auto self = this->shared_from_this();
  wire_ = wire;
  out_.set_owner(self);
  out_.push_bytes(std::move(response));
  out_.flush();
  handler_ = open(self);
  registered_ = true;
  registry_->add(self, admission::served, true);
  in_ = std::move(leftover);
  if (!in_.empty())
    parse_input();
  if (!finished_)
    wait_readable();
}

template <class Stream>
void ws_connection<Stream>::half_close() {
  if constexpr (tls) {
    start_tls_shutdown();
  } else {
    boost::system::error_code ec;
    out_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

template <class Stream>
void ws_connection<Stream>::start_tls_shutdown() {
  if constexpr (tls) {
    if (this->tls_shutdown_started_)
      return;
    this->tls_shutdown_started_ = true;
    // close_notify, then OpenSSL waits for the peer's. Bounded like a close handshake: a peer
    // that never answers is cut off after realtime.close_timeout_ms.
    if (!close_timer_)
      close_timer_ = std::make_unique<asio::steady_timer>(out_.socket().get_executor());
    close_timer_->expires_after(std::chrono::milliseconds(close_timeout_ms_));
    auto done = [self = this->shared_from_this()] {
      self->close_timer_->cancel(); // a pending wait would keep the connection alive
      self->finish(self->close_code_ ? self->close_code_ : close_code::abnormal,
                   "connection closed");
      boost::system::error_code ec;
      raw_socket(self->out_.socket()).close(ec);
    };
    close_timer_->async_wait([done](boost::system::error_code ec) {
      if (!ec)
        done();
    });
    out_.socket().async_shutdown([done](boost::system::error_code) { done(); });
  }
}

template <class Stream>
bool ws_connection<Stream>::queue_frame(const frame_ptr& frame) {
  if (closing_ || finished_)
    return false;
  if (out_.waiting_bytes() + frame->size() > queue_limit_) {
    notify_closed(close_code::slow_consumer, "slow_consumer");
    out_.drop_pending(); // undelivered frames are dropped; clients resume with cursors
    do_close(close_code::slow_consumer, "slow_consumer");
    return false;
  }
  return out_.push_text(frame);
}

template <class Stream>
void ws_connection<Stream>::send(frame_ptr frame) {
  loop_.push_frame(this->shared_from_this(), std::move(frame));
}

template <class Stream>
void ws_connection<Stream>::send_batch(event_batch batch, std::size_t offset) {
  loop_.push_batch(this->shared_from_this(), std::move(batch), static_cast<std::uint32_t>(offset));
}

template <class Stream>
void ws_connection<Stream>::close(std::uint16_t code, std::string reason) {
  // Through the outbox too, so a close follows every send the session made before it.
  loop_.push_close(this->shared_from_this(), code, std::move(reason));
}

template <class Stream>
void ws_connection<Stream>::queued_bytes(std::function<void(std::size_t)> done) {
  loop_.push_task([self = this->shared_from_this(), done = std::move(done)] {
    done(self->out_.waiting_bytes());
  });
}

template <class Stream>
void ws_connection<Stream>::send_ping() {
  loop_.push_task([self = this->shared_from_this()] {
    if (self->closing_ || self->finished_)
      return;
    std::array<std::uint8_t, 10> hdr;
    auto n = ws::server_header(ws::op_ping, 0, hdr);
    self->out_.push_bytes(std::string(reinterpret_cast<const char*>(hdr.data()), n));
    self->mark_dirty();
  });
}

template <class Stream>
void ws_connection<Stream>::mark_dirty() {
  if (!dirty_) {
    dirty_ = true;
    loop_.mark_dirty(this->shared_from_this());
  }
}

template <class Stream>
void ws_connection<Stream>::enqueue_frame(const frame_ptr& frame) {
  if (queue_frame(frame))
    mark_dirty();
}

template <class Stream>
void ws_connection<Stream>::enqueue_batch(const std::vector<event_ptr>& batch, std::size_t offset) {
  for (std::size_t i = offset; i < batch.size(); ++i) {
    const auto& f = batch[i]->frame(wire_);
    if (f && !queue_frame(f))
      return;
  }
  mark_dirty();
}

template <class Stream>
void ws_connection<Stream>::start_close(std::uint16_t code, std::string reason) {
  do_close(code, std::move(reason));
}

template <class Stream>
void ws_connection<Stream>::flush_dirty() {
  dirty_ = false;
  out_.flush();
}

template <class Stream>
void ws_connection<Stream>::do_close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_)
    return;
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  out_.push_bytes(ws::close_frame(code, reason), true);
  out_.flush();
  // A peer that does not answer our close frame (e.g. a slow consumer whose socket buffer is
  // full) is disconnected after realtime.close_timeout_ms.
  close_timer_ = std::make_unique<asio::steady_timer>(out_.socket().get_executor(),
                                                      std::chrono::milliseconds(close_timeout_ms_));
  close_timer_->async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
    if (!ec)
      self->finish(self->close_code_, self->close_reason_);
  });
}

template <class Stream>
void ws_connection<Stream>::finish(std::uint16_t code, std::string reason) {
  if (finished_)
    return;
  finished_ = true;
  if (close_timer_)
    close_timer_->cancel();
  close_transport();
  notify_closed(code, std::move(reason));
}

template <class Stream>
void ws_connection<Stream>::close_transport() {
  if constexpr (tls) {
    // A healthy peer gets close_notify (bounded); a broken or stuck one just loses the socket.
    if (!this->tls_peer_gone_ && !this->tls_shutdown_started_ && out_.idle())
      return start_tls_shutdown();
    boost::system::error_code ec;
    raw_socket(out_.socket()).close(ec);
  } else {
    boost::system::error_code ec;
    out_.socket().shutdown(tcp::socket::shutdown_both, ec);
    out_.socket().close(ec);
  }
}

template <class Stream>
void ws_connection<Stream>::notify_closed(std::uint16_t code, std::string reason) {
  if (auto h = std::move(handler_))
    h->on_closed(code, std::move(reason));
}

template <class Stream>
void ws_connection<Stream>::shutdown() {
  // The handler's actor closes behind the deliveries it has already queued (the shutdown
  // drain put every acknowledged event in its mailbox first); without one, close at once.
  loop_.push_task([self = this->shared_from_this()] {
    if (self->closing_ || self->finished_)
      return;
    if (self->handler_ && self->handler_->on_shutdown())
      return;
    self->do_close(close_code::going_away, "server shutdown");
  });
}

template <class Stream>
void ws_connection<Stream>::abandon() {
  notify_closed(close_code::going_away, "server shutdown");
}

// The members defined in ws_connection_input.cpp are instantiated there.
template class ws_connection<tcp::socket>;
template class ws_connection<tls_stream>;

} // namespace sy
