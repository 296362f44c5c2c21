// The WebSocket connection's inbound side: reading the client's bytes (readiness and
// non-blocking reads on plain TCP, one outstanding read on TLS), parsing frames, the inbound
// frame rate, and what each frame gets. The rest of the connection is in ws_connection.cpp.
#include "net/ws/ws_connection.hpp"

#include <algorithm>
#include <array>
#include <chrono>

#include "net/ws/ws_frame.hpp"
#include "schema/codes.hpp"

namespace sy {

namespace {

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Bytes read per readiness event before yielding to other connections.
constexpr std::size_t read_budget = 256 * 1024;

} // namespace

template <class Stream>
void ws_connection<Stream>::touch() {
  last_rx_ms_.store(now_ms(), std::memory_order_relaxed);
}

template <class Stream>
void ws_connection<Stream>::wait_readable() {
  if constexpr (tls) {
    this->out_.socket().async_read_some(
      asio::buffer(this->tls_rbuf_),
      [self = this->shared_from_this()](boost::system::error_code ec, std::size_t n) {
        self->on_tls_read(ec, n);
      });
  } else {
    // A readiness wait holds no buffer and only a tiny operation while the client is quiet.
    out_.socket().async_wait(tcp::socket::wait_read,
                             [self = this->shared_from_this()](boost::system::error_code ec) {
                               if (ec)
                                 return self->finish(self->close_code_ ? self->close_code_
                                                                       : close_code::abnormal,
                                                     ec.message());
                               self->on_readable();
                             });
  }
}

template <class Stream>
void ws_connection<Stream>::on_readable() {
  if constexpr (!tls) {
    // Reads land in a per-thread scratch buffer; only an incomplete frame is kept per connection.
    thread_local std::array<char, 16384> scratch;
    std::size_t total = 0;
    while (total < read_budget) {
      boost::system::error_code ec;
      auto n = out_.socket().read_some(asio::buffer(scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again)
        break;
      if (ec || n == 0) {
        auto reason = ec ? ec.message() : std::string("connection closed");
        return finish(close_code_ ? close_code_ : close_code::abnormal, reason);
      }
      total += n;
      if (!consume(scratch.data(), n))
        return;
    }
    if (in_.empty())
      std::string().swap(in_); // idle: hold no buffer
    wait_readable();
  }
}

template <class Stream>
void ws_connection<Stream>::on_tls_read(boost::system::error_code ec, std::size_t n) {
  if constexpr (tls) {
    if (finished_)
      return;
    if (ec) {
      this->tls_peer_gone_ = true; // EOF, reset, truncation or a TLS alert
      return finish(close_code_ ? close_code_ : close_code::abnormal, ec.message());
    }
    if (!consume(this->tls_rbuf_.data(), n))
      return;
    if (in_.empty())
      std::string().swap(in_);
    wait_readable();
  }
}

template <class Stream>
bool ws_connection<Stream>::consume(const char* data, std::size_t n) {
  touch();
  if (discard_)
    return true;
  in_.append(data, n);
  parse_input();
  return !finished_;
}

template <class Stream>
void ws_connection<Stream>::fail_input(std::uint16_t code, const char* reason) {
  // The stream can't be parsed past this point: send the close frame, half-close so the client
  // sees EOF after it, and read and drop until the client closes TCP (never a reset).
  discard_ = true;
  in_.clear();
  do_close(code, reason);
  out_.when_drained([self = this->shared_from_this()] { self->half_close(); });
}

template <class Stream>
void ws_connection<Stream>::parse_input() {
  std::size_t pos = 0;
  while (!discard_ && !finished_) {
    if (skip_ > 0) { // the rest of an oversized frame we refused
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, in_.size() - pos));
      pos += n;
      skip_ -= n;
      if (skip_ > 0)
        break;
    }
    std::string_view rest(in_.data() + pos, in_.size() - pos);
    ws::frame_header h;
    auto st = ws::parse_client_header(rest, h);
    if (st == ws::parse_status::need_more)
      break;
    if (st == ws::parse_status::protocol_error)
      return fail_input(close_code::protocol_error, "protocol error");
    // Refuse oversized messages from the header alone: never buffer them.
    std::uint64_t message_size = h.length + (h.opcode == ws::op_continuation ? message_.size() : 0);
    if (h.opcode < ws::op_close && message_size > max_message_) {
      // Never buffer it: skip its bytes as they come, and keep parsing for the close reply.
      do_close(close_code::too_big, "message too big");
      skip_ = h.header_size + h.length;
      in_message_ = !h.fin; // the client's remaining fragments still parse (and are dropped)
      std::string().swap(message_);
      continue;
    }
    if (rest.size() < h.header_size + h.length)
      break;
    std::string payload(rest.substr(h.header_size, h.length));
    ws::unmask(payload.data(), payload.size(), h.mask);
    pos += h.header_size + h.length;
    on_frame(h.opcode, h.fin, std::move(payload));
  }
  if (!discard_)
    in_.erase(0, pos);
}

template <class Stream>
bool ws_connection<Stream>::within_frame_rate() {
  // One window for every inbound frame -- text, continuation, ping, pong, close -- counted here,
  // where pings are answered without the session, so a ping flood costs no actor message.
  // The clock was read once for the whole read by consume().
  auto now = last_rx_ms_.load(std::memory_order_relaxed);
  if (now - rate_window_ms_ >= 1000) {
    rate_window_ms_ = now;
    frames_in_window_ = 0;
  }
  if (++frames_in_window_ <= max_frames_per_s_)
    return true;
  if (!closing_) {
    // Like a slow consumer: the session hears at once (it logs quota.exceeded and ends), the
    // client gets 4008 and nothing more is answered.
    auto reason = "quota_exceeded: more than " + std::to_string(max_frames_per_s_)
                  + " frames per second";
    notify_closed(close_code::quota_exceeded, reason);
    do_close(close_code::quota_exceeded, std::move(reason));
  }
  return false;
}

template <class Stream>
void ws_connection<Stream>::on_frame(std::uint8_t opcode, bool fin, std::string&& payload) {
  // Over the rate only a close frame is still read: it may be the answer to our 4008.
  if (!within_frame_rate() && opcode != ws::op_close)
    return;
  switch (opcode) {
    case ws::op_text:
    case ws::op_continuation: {
      bool starts = opcode == ws::op_text;
      if (starts == in_message_)
        return fail_input(close_code::protocol_error,
                          starts ? "text frame inside a fragmented message"
                                 : "unexpected continuation");
      in_message_ = !fin; // tracked after our close too, so the client's tail parses
      if (closing_) {     // after our close frame, data is read and dropped
        std::string().swap(message_);
        return;
      }
      if (starts)
        utf8_.reset();
      // Fragments are judged as they come: invalid bytes fail before the message is complete.
      if (!utf8_.feed(payload) || (fin && !utf8_.complete())) {
        std::string().swap(message_);
        return do_close(close_code::invalid_payload, "invalid UTF-8");
      }
      if (starts && fin) { // the common case: one frame, no copy
        if (handler_)
          handler_->on_text(std::move(payload));
        return;
      }
      message_ += payload;
      if (fin) {
        std::string text = std::move(message_);
        std::string().swap(message_);
        if (handler_)
          handler_->on_text(std::move(text));
      }
      return;
    }
    case ws::op_binary: // well-formed, so the client's close reply can still be read
      return do_close(close_code::unsupported_data, "binary frames are not supported");
    case ws::op_ping: {
      std::array<std::uint8_t, 10> hdr;
      auto n = ws::server_header(ws::op_pong, payload.size(), hdr);
      out_.push_bytes(std::string(reinterpret_cast<const char*>(hdr.data()), n) + payload);
      out_.flush();
      return;
    }
    case ws::op_pong:
      return;
    case ws::op_close:
      return on_close_frame(payload);
  }
  fail_input(close_code::protocol_error, "unknown opcode");
}

template <class Stream>
void ws_connection<Stream>::on_close_frame(std::string_view payload) {
  if (closing_) // the answer to our close frame, whatever it holds: nothing more to send
    return finish(close_code_, close_reason_);
  // RFC 6455 5.5.1/7.4: no payload, or a 2-byte code that may be sent plus a UTF-8 reason.
  // A bad one fails the connection; its code is never echoed.
  std::uint16_t code = close_code::no_status;
  std::string reason;
  if (payload.size() == 1)
    return fail_input(close_code::protocol_error, "bad close frame");
  if (payload.size() >= 2) {
    code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8)
                                      | static_cast<std::uint8_t>(payload[1]));
    if (!close_code::valid_from_peer(code))
      return fail_input(close_code::protocol_error, "invalid close code");
    if (!ws::valid_utf8(payload.substr(2)))
      return fail_input(close_code::invalid_payload, "invalid UTF-8 in close reason");
    reason = payload.substr(2);
  }
  // Echo the code, then the client closes TCP (or our deadline does).
  closing_ = true;
  close_code_ = code;
  close_reason_ = reason;
  out_.push_bytes(ws::close_frame(code == close_code::no_status ? close_code::normal : code, ""),
                  true);
  out_.flush();
  notify_closed(code, reason);
  out_.when_drained([self = this->shared_from_this()] { self->half_close(); });
  // read on until the client closes TCP
}

// Explicit instantiations of the members defined in this file, for both transports (the class
// itself is instantiated in ws_connection.cpp, which instantiates only what it defines).
#define SY_WS_CONNECTION_INPUT(Stream)                                                       \
  template void ws_connection<Stream>::touch();                                              \
  template void ws_connection<Stream>::wait_readable();                                      \
  template void ws_connection<Stream>::on_readable();                                        \
  template void ws_connection<Stream>::on_tls_read(boost::system::error_code, std::size_t);  \
  template bool ws_connection<Stream>::consume(const char*, std::size_t);                    \
  template void ws_connection<Stream>::fail_input(std::uint16_t, const char*);               \
  template void ws_connection<Stream>::parse_input();                                        \
  template bool ws_connection<Stream>::within_frame_rate();                                  \
  template void ws_connection<Stream>::on_frame(std::uint8_t, bool, std::string&&);          \
  template void ws_connection<Stream>::on_close_frame(std::string_view);

SY_WS_CONNECTION_INPUT(tcp::socket)
SY_WS_CONNECTION_INPUT(tls_stream)

#undef SY_WS_CONNECTION_INPUT

} // namespace sy
