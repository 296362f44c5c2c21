// The event stream's life: headers, events from the session (queued by reference, bounded like
// a WebSocket's queue), heartbeat comments, and its end -- by the server (a last `event: close`,
// then the socket goes) or by the client (EOF on the read watch, or a failed write).
#include "net/http/sse_stream.hpp"

#include <chrono>

#include "schema/codes.hpp"
#include "schema/dialects/sse/sse.hpp"

namespace sy {

bool is_event_stream_request(const http_request& req) {
  if (req.method != "GET")
    return false;
  std::string_view path(req.target);
  path = path.substr(0, path.find('?'));
  constexpr std::string_view tail = "/stream";
  return path.size() > tail.size() && path.substr(path.size() - tail.size()) == tail;
}

std::string event_stream_head(std::string_view allow_origin) {
  std::string h =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\n"
    "Cache-Control: no-cache\r\n"
    "Connection: close\r\n"
    "X-Accel-Buffering: no\r\n"; // a proxy (nginx) must not buffer the stream
  if (!allow_origin.empty()) {
    h += "Access-Control-Allow-Origin: ";
    h += allow_origin;
    h += "\r\nVary: Origin\r\n";
  }
  h += "\r\n";
  return h;
}

template <class Stream>
sse_stream<Stream>::sse_stream(Stream&& stream, io_loop& loop, const server_options& opts,
                               std::shared_ptr<conn_registry> registry)
  : loop_(loop),
    out_(std::move(stream)),
    queue_limit_(opts.outbound_queue_bytes),
    heartbeat_ms_(opts.sse_heartbeat_ms),
    close_timeout_ms_(opts.close_timeout_ms),
    timer_(loop.context()),
    registry_(std::move(registry)) {
}

template <class Stream>
sse_stream<Stream>::~sse_stream() {
  if (registered_)
    registry_->remove(this, true);
  if (handler_) // torn down without a close report (e.g. io_context destroyed)
    handler_->on_closed(close_code::abnormal, "connection lost");
}

template <class Stream>
void sse_stream<Stream>::start(std::string head, upgrade_decision decision) {
  auto self = this->shared_from_this();
  out_.set_owner(self);
  out_.push_bytes(std::move(head));
  out_.flush();
  handler_ = decision.open(self);
  registered_ = true;
  // Counted with the WebSockets: a shutdown closes it behind the deliveries already queued.
  registry_->add(self, admission::served, true);
  watch_input();
  arm_heartbeat();
}

template <class Stream>
std::int64_t sse_stream<Stream>::last_rx_ms() const {
  return steady_clock_ms();
}

// -- from the session, through the outbox -----------------------------------------------------

template <class Stream>
void sse_stream<Stream>::send(frame_ptr frame) {
  loop_.push_frame(this->shared_from_this(), std::move(frame));
}

template <class Stream>
void sse_stream<Stream>::send_batch(event_batch batch, std::size_t offset) {
  loop_.push_batch(this->shared_from_this(), std::move(batch), static_cast<std::uint32_t>(offset));
}

template <class Stream>
void sse_stream<Stream>::queued_bytes(std::function<void(std::size_t)> done) {
  loop_.push_task([self = this->shared_from_this(), done = std::move(done)] {
    done(self->out_.waiting_bytes());
  });
}

template <class Stream>
void sse_stream<Stream>::close(std::uint16_t code, std::string reason) {
  loop_.push_close(this->shared_from_this(), code, std::move(reason)); // behind the sends
}

// -- loop thread --------------------------------------------------------------------------------

// realtime.outbound_queue_bytes, as for a WebSocket: bytes waiting behind a write the client's
// socket has not accepted. Over it the queued events are dropped and the stream ends (4009 to
// the session, `event: close` with 4009 as the last bytes); the client resumes with
// Last-Event-ID.
template <class Stream>
bool sse_stream<Stream>::within_bound(std::size_t more) {
  if (closing_ || finished_)
    return false;
  if (out_.waiting_bytes() + more <= queue_limit_)
    return true;
  notify_closed(close_code::slow_consumer, "slow_consumer");
  out_.drop_pending();
  do_close(close_code::slow_consumer, "slow_consumer");
  return false;
}

template <class Stream>
void sse_stream<Stream>::enqueue_frame(const frame_ptr& frame) {
  if (frame->empty() || !within_bound(frame->size()))
    return;
  out_.push_shared(frame);
  mark_dirty();
}

template <class Stream>
void sse_stream<Stream>::enqueue_batch(const std::vector<event_ptr>& batch, std::size_t offset) {
  for (std::size_t i = offset; i < batch.size(); ++i) {
    const event_ptr& e = batch[i];
    if (e->ev.data_json.empty())
      continue; // a receipt, not an event
    auto head = sse::event_head(e->ev, e->id);
    if (!within_bound(head.size() + e->rest_json.size() + sse::event_tail.size()))
      return;
    out_.push_bytes(std::move(head));
    // The REST object is shared with every other consumer of the event: an aliasing pointer
    // keeps the event alive while the cork holds it, no copy.
    out_.push_shared(frame_ptr(e, &e->rest_json));
    out_.push_bytes(std::string(sse::event_tail));
  }
  mark_dirty();
}

template <class Stream>
void sse_stream<Stream>::mark_dirty() {
  if (!dirty_) {
    dirty_ = true;
    loop_.mark_dirty(this->shared_from_this());
  }
}

template <class Stream>
void sse_stream<Stream>::flush_dirty() {
  dirty_ = false;
  out_.flush();
}

template <class Stream>
void sse_stream<Stream>::start_close(std::uint16_t code, std::string reason) {
  do_close(code, std::move(reason));
}

// A client sends nothing after its request; a read that ends is the client leaving. Bytes it
// does send are dropped (a 256-byte buffer, read while the stream lives).
template <class Stream>
void sse_stream<Stream>::watch_input() {
  out_.socket().async_read_some(
    asio::buffer(rbuf_), [self = this->shared_from_this()](boost::system::error_code ec,
                                                            std::size_t) {
      if (self->finished_)
        return;
      if (ec)
        return self->finish(close_code::abnormal, "connection lost");
      self->watch_input();
    });
}

template <class Stream>
void sse_stream<Stream>::arm_heartbeat() {
  timer_.expires_after(std::chrono::milliseconds(heartbeat_ms_));
  timer_.async_wait([self = this->shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closing_ || self->finished_)
      return;
    if (self->out_.waiting_bytes() == 0) { // a stream with writes pending needs no comment
      self->out_.push_bytes(std::string(sse::heartbeat_comment));
      self->out_.flush(); // not from the outbox's drain: nothing else would flush it
    }
    self->arm_heartbeat();
  });
}

// The server ends the stream: a last `event: close` with the code and reason (after the events
// queued before it), then the socket, once written or after realtime.close_timeout_ms.
template <class Stream>
void sse_stream<Stream>::do_close(std::uint16_t code, std::string reason) {
  if (closing_ || finished_)
    return;
  closing_ = true;
  timer_.cancel();
  out_.push_bytes(sse::encode_close(code, reason), true);
  out_.flush();
  timer_.expires_after(std::chrono::milliseconds(close_timeout_ms_));
  timer_.async_wait([self = this->shared_from_this(), code, reason](boost::system::error_code ec) {
    if (!ec)
      self->finish(code, reason);
  });
  out_.when_drained([self = this->shared_from_this(), code, reason] {
    self->finish(code, reason);
  });
}

template <class Stream>
void sse_stream<Stream>::finish(std::uint16_t code, std::string reason) {
  if (finished_)
    return;
  finished_ = true;
  timer_.cancel();
  boost::system::error_code ec;
  auto& sock = raw_socket(out_.socket());
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  notify_closed(code, std::move(reason));
}

template <class Stream>
void sse_stream<Stream>::notify_closed(std::uint16_t code, std::string reason) {
  if (auto h = std::move(handler_))
    h->on_closed(code, std::move(reason));
}

template <class Stream>
void sse_stream<Stream>::shutdown() {
  // As for a WebSocket: the session ends the stream behind the deliveries it already queued.
  loop_.push_task([self = this->shared_from_this()] {
    if (self->closing_ || self->finished_)
      return;
    if (self->handler_ && self->handler_->on_shutdown())
      return;
    self->do_close(close_code::going_away, "server shutdown");
  });
}

template <class Stream>
void sse_stream<Stream>::abandon() {
  notify_closed(close_code::going_away, "server shutdown");
}

template class sse_stream<tcp::socket>;
template class sse_stream<tls_stream>;

} // namespace sy
