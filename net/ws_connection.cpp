#include "net/ws_connection.hpp"

#include <chrono>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "schema/codes.hpp"

namespace sy {

namespace websocket = beast::websocket;

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// A peer that will not complete the close handshake (e.g. a slow consumer whose socket buffer
// is full) is torn down after this long.
constexpr auto close_deadline = std::chrono::seconds(5);

} // namespace

ws_connection::ws_connection(tcp::socket&& socket, const server_options& opts,
                             std::shared_ptr<conn_registry> registry)
  : ws_(std::move(socket)),
    queue_limit_(opts.outbound_queue_bytes),
    registry_(std::move(registry)),
    last_rx_ms_(now_ms()) {
  ws_.read_message_max(opts.max_frame_bytes);
  ws_.auto_fragment(false);
  websocket::stream_base::timeout t;
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = websocket::stream_base::none(); // the session actor owns idle policy
  t.keep_alive_pings = false;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::server, "switchyard");
  }));
  ws_.control_callback([this](websocket::frame_type, beast::string_view) { touch(); });
}

ws_connection::~ws_connection() {
  if (registered_)
    registry_->remove(this);
  if (handler_) // torn down without a close report (e.g. io_context destroyed)
    handler_->on_closed(1006, "connection lost");
}

void ws_connection::touch() {
  last_rx_ms_.store(now_ms(), std::memory_order_relaxed);
}

void ws_connection::start(beast::http::request<beast::http::string_body> req, open_fn open) {
  auto self = shared_from_this();
  // The request must outlive the async handshake: keep it in the handler.
  auto held = std::make_shared<beast::http::request<beast::http::string_body>>(std::move(req));
  ws_.next_layer().set_owner(self);
  ws_.async_accept(*held, [self, held, open = std::move(open)](beast::error_code ec) mutable {
    if (ec)
      return; // handshake failed: nothing was opened, nothing to report
    self->touch();
    self->handler_ = open(self);
    self->registered_ = true;
    self->registry_->add(self);
    self->do_read();
  });
}

void ws_connection::do_read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->on_read(ec, n);
  });
}

void ws_connection::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    if (ec == websocket::error::closed) {
      auto r = ws_.reason();
      notify_closed(close_code_ ? close_code_ : static_cast<std::uint16_t>(r.code),
                    std::string(r.reason.data(), r.reason.size()));
    } else if (ec == websocket::error::message_too_big) {
      notify_closed(close_code::too_big, "message too big"); // Beast sent 1009
    } else {
      notify_closed(close_code_ ? close_code_ : 1006, ec.message());
    }
    return;
  }
  touch();
  if (!ws_.got_text()) {
    buffer_.consume(buffer_.size());
    do_close(close_code::unsupported_data, "binary frames are not supported");
    return;
  }
  if (handler_)
    handler_->on_text(beast::buffers_to_string(buffer_.data()));
  buffer_.consume(buffer_.size());
  // A large frame must not pin its buffer for the life of an idle connection.
  if (buffer_.capacity() > 16384)
    buffer_.shrink_to_fit();
  do_read();
}

bool ws_connection::queue_frame(const frame_ptr& frame) {
  if (closing_)
    return false;
  auto& cork = ws_.next_layer();
  if (cork.queued_bytes() + frame->size() > queue_limit_) {
    notify_closed(close_code::slow_consumer, "slow_consumer");
    cork.drop_pending(); // undelivered frames are dropped; clients resume with cursors
    do_close(close_code::slow_consumer, "slow_consumer");
    return false;
  }
  return cork.push_text(frame);
}

void ws_connection::send(frame_ptr frame) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), f = std::move(frame)] {
    if (self->queue_frame(f))
      self->ws_.next_layer().flush();
  });
}

void ws_connection::send_batch(event_batch batch, std::size_t offset) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), b = std::move(batch), offset] {
    for (std::size_t i = offset; i < b->size(); ++i)
      if (!self->queue_frame((*b)[i]->fabric_live))
        return;
    self->ws_.next_layer().flush();
  });
}

void ws_connection::close(std::uint16_t code, std::string reason) {
  asio::dispatch(ws_.get_executor(),
                 [self = shared_from_this(), code, r = std::move(reason)]() mutable {
                   self->do_close(code, std::move(r));
                 });
}

void ws_connection::do_close(std::uint16_t code, std::string reason) {
  if (closing_)
    return;
  closing_ = true;
  close_code_ = code;
  close_timer_ = std::make_unique<asio::steady_timer>(ws_.get_executor(), close_deadline);
  close_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) {
      beast::error_code ignored;
      auto& sock = self->ws_.next_layer().next_layer();
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
    }
  });
  websocket::close_reason cr(static_cast<websocket::close_code>(code),
                            beast::string_view(reason.data(), reason.size()));
  ws_.async_close(cr, [self = shared_from_this(), code, reason](beast::error_code) {
    self->close_timer_->cancel();
    self->notify_closed(code, reason);
  });
}

void ws_connection::notify_closed(std::uint16_t code, std::string reason) {
  if (auto h = std::move(handler_))
    h->on_closed(code, std::move(reason));
}

void ws_connection::shutdown() {
  close(close_code::going_away, "server shutdown");
}

void ws_connection::abandon() {
  notify_closed(close_code::going_away, "server shutdown");
}

} // namespace sy
