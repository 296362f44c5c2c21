// Why not Beast's http::async_read on a tcp_stream: under a REST publish load that path cost
// ~13 µs of server CPU per request before the router did anything (a GET /healthz measured the
// same), against ~11 µs for Nginx/Nchan doing a whole publish. Per request it paid a deadline
// timer set and cancelled twice, a composed read operation, one heap node per header field,
// and a speculative recv that found the socket empty after every request (1.97 recvmsg per
// request against Nginx's 1.0). Here a connection:
//  - reads on readiness and stops at a short read (the kernel had nothing more), so one recv
//    per request; the readiness wait stays armed while the router works on a request, since
//    Asio's epoll registration is edge-triggered and an edge nobody waits for is lost;
//  - parses with Beast's basic_parser (all of HTTP/1.1: chunked bodies, limits, keep-alive),
//    keeping only the fields the router reads;
//  - keeps one lazy timer: moving a deadline later costs nothing, the timer re-arms itself when
//    it fires early (once per timeout period, not per request);
//  - answers with one non-blocking send (async_write only for what the socket refuses).
#include "net/plain_http.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include "net/http_head.hpp"
#include "net/request_parser.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_frame.hpp"

namespace sy {

namespace {

namespace http = boost::beast::http;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           steady::now().time_since_epoch())
    .count();
}

class plain_http final : public closable, public std::enable_shared_from_this<plain_http> {
public:
  plain_http(tcp::socket s, io_loop& loop, const server_options& opts,
             std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> reg)
    : socket_(std::move(s)),
      loop_(loop),
      timer_(loop.context()),
      opts_(opts),
      app_(std::move(app)),
      registry_(std::move(reg)) {
  }

  ~plain_http() override {
    registry_->remove(this);
  }

  void start() {
    registry_->add(shared_from_this());
    error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) {
      remote_ip_ = ep.address().to_string();
      remote_ = remote_ip_ + ":" + std::to_string(ep.port());
    }
    if (registry_->live() > opts_.max_connections)
      return write_error(503, "too_many_connections",
                         "the server is at http.max_connections; retry later");
    set_deadline(opts_.handshake_timeout_ms);
    // Read at once rather than wait: the request may have arrived before this socket's first
    // wait was armed, and that edge would not come again.
    read_pass();
  }

  void shutdown() override {
    asio::dispatch(loop_.context(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (self->phase_ == phase::reading)
        self->close();
    });
  }

  void abandon() override {
  }

private:
  enum class phase : std::uint8_t { reading, busy, writing, done };

  // -- reading ------------------------------------------------------------------------------

  void arm_read() {
    if (waiting_ || phase_ == phase::done)
      return;
    waiting_ = true;
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      self->waiting_ = false;
      if (ec || self->phase_ == phase::done)
        return; // aborted: closed, or handed to a WebSocket connection
      if (self->phase_ != phase::reading) {
        self->readable_ = true; // read once the reply has gone
        return;
      }
      self->read_pass();
    });
  }

  // Reads until the kernel has nothing more (a short read), then parses.
  void read_pass() {
    thread_local std::array<char, 16384> scratch;
    readable_ = false;
    const std::size_t cap = opts_.max_header_bytes + opts_.max_body_bytes + scratch.size();
    while (!peer_eof_) {
      if (in_.size() - in_off_ >= cap) { // the parser refuses long before; this bounds memory
        readable_ = true;
        break;
      }
      auto n = ::recv(socket_.native_handle(), scratch.data(), scratch.size(), MSG_DONTWAIT);
      if (n > 0) {
        compact();
        in_.append(scratch.data(), static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < scratch.size())
          break;
        continue;
      }
      if (n == 0) {
        peer_eof_ = true;
        break;
      }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      return close(); // reset and friends
    }
    parse();
  }

  void compact() {
    if (in_off_ == 0)
      return;
    in_.erase(0, in_off_);
    in_off_ = 0;
  }

  void parse() {
    if (phase_ != phase::reading)
      return;
    if (!parser_) {
      parser_.emplace(opts_.max_header_bytes, opts_.max_body_bytes);
    }
    error_code ec;
    in_off_ += parser_->feed(in_.data() + in_off_, in_.size() - in_off_, ec);
    if (in_off_ == in_.size()) {
      in_.clear();
      in_off_ = 0;
      if (in_.capacity() > 65536)
        std::string().swap(in_);
    }
    if (ec == http::error::need_more) {
      if (parser_->is_header_done() && parser_->expects_continue() && !continue_sent_) {
        continue_sent_ = true;
        static constexpr char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
        ::send(socket_.native_handle(), go, sizeof go - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      if (peer_eof_) // the client stopped sending mid-request (or between requests)
        return close();
      if (readable_)
        return read_pass();
      return arm_read();
    }
    if (ec == http::error::body_limit)
      return write_error(413, "payload_too_large", "request body over http.max_body_bytes");
    if (ec == http::error::header_limit)
      return write_error(431, "headers_too_large", "header block over http.max_header_bytes");
    if (ec)
      return write_error(400, "bad_request", "malformed HTTP request: " + ec.message());
    dispatch();
  }

  // -- one complete request -----------------------------------------------------------------

  void dispatch() {
    http_request info = std::move(parser_->request());
    info.remote = remote_;
    info.remote_ip = remote_ip_;
    info.pass = &loop_;
    keep_alive_ = parser_->keep_alive();
    continue_sent_ = false;
    if (info.websocket_upgrade)
      return upgrade(std::move(info));
    parser_.reset();
    phase_ = phase::busy;
    set_deadline(opts_.request_timeout_ms);
    arm_read(); // see the top of the file: an edge while the router works must not be lost
    // The router answers through the completion; a late answer (after the 503 of the request
    // timeout) is matched by sequence number and dropped.
    auto seq = ++request_seq_;
    app_->on_http(std::move(info), [self = shared_from_this(), seq](http_reply reply) {
      // Through the loop's outbox: replies completed together wake the loop once.
      self->loop_.push_task([self, seq, r = std::move(reply)]() mutable {
        if (self->phase_ == phase::busy && self->request_seq_ == seq)
          self->write(std::move(r));
      });
    });
  }

  void upgrade(http_request info) {
    // Refuse broken handshakes here, as JSON, rather than with a plain-text 400.
    if (parser_->websocket_key().empty() || parser_->websocket_version() != "13")
      return write_error(400, "bad_request",
                         "invalid WebSocket upgrade: needs Sec-WebSocket-Key and "
                         "Sec-WebSocket-Version: 13");
    auto decision = app_->on_upgrade(info);
    if (decision.refusal) {
      keep_alive_ = false;
      return write(std::move(*decision.refusal));
    }
    auto response = ws::handshake_response(parser_->websocket_key());
    parser_.reset();
    std::string leftover = in_.substr(in_off_);
    phase_ = phase::done;
    timer_.cancel();
    if (waiting_) { // a wait armed during an earlier request of this connection
      error_code ignored;
      socket_.cancel(ignored);
    }
    auto conn = std::make_shared<ws_connection<tcp::socket>>(std::move(socket_), loop_, opts_,
                                                             registry_);
    conn->start(std::move(response), std::move(leftover), std::move(decision.open),
                decision.wire);
  }

  // -- replies ------------------------------------------------------------------------------

  void write_error(unsigned status, std::string_view code, std::string message) {
    keep_alive_ = false;
    write({status, json_error_body(code, message), "application/json"});
  }

  void write(http_reply reply) {
    const bool keep_alive = keep_alive_ && !stopping_;
    format_http_head(reply_, reply.status, reply.content_type, reply.body.size(), keep_alive);
    reply_ += reply.body;
    // A reply fits the socket buffer almost always: one send, no Asio operation.
    auto n = ::send(socket_.native_handle(), reply_.data(), reply_.size(),
                    MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return after_write(true, keep_alive);
    std::size_t sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    if (sent == reply_.size())
      return after_write(false, keep_alive);
    phase_ = phase::writing;
    set_deadline(opts_.handshake_timeout_ms); // a client that never reads loses the socket
    asio::async_write(socket_, asio::buffer(reply_) + sent,
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        if (self->phase_ != phase::done)
                          self->after_write(static_cast<bool>(ec), keep_alive);
                      });
  }

  void after_write(bool failed, bool keep_alive) {
    if (reply_.capacity() > 65536) // a big history page: let it go
      std::string().swap(reply_);
    if (failed || !keep_alive)
      return close();
    phase_ = phase::reading;
    set_deadline(opts_.handshake_timeout_ms); // the next request, or the idle keep-alive limit
    if (in_off_ < in_.size()) // a pipelined request is already here
      return parse();
    if (readable_ || peer_eof_)
      return read_pass();
    arm_read();
  }

  // -- deadlines ----------------------------------------------------------------------------

  void set_deadline(std::int64_t after_ms) {
    deadline_ms_ = now_ms() + after_ms;
    if (timer_armed_ && armed_ms_ <= deadline_ms_)
      return; // it fires early and re-arms itself then
    arm_timer(deadline_ms_);
  }

  void arm_timer(std::int64_t at_ms) {
    timer_armed_ = true;
    armed_ms_ = at_ms;
    timer_.expires_at(steady::time_point(std::chrono::milliseconds(at_ms)));
    timer_.async_wait([self = shared_from_this(), gen = ++timer_gen_](error_code ec) {
      if (ec || gen != self->timer_gen_ || self->phase_ == phase::done)
        return;
      self->timer_armed_ = false;
      self->on_deadline();
    });
  }

  void on_deadline() {
    if (now_ms() < deadline_ms_)
      return arm_timer(deadline_ms_);
    switch (phase_) {
      case phase::reading: // slowloris guard, or an idle keep-alive connection
      case phase::writing: // a client that does not read its reply
        return close();
      case phase::busy:
        return write({503, json_error_body("unavailable", "the router did not answer in time"),
                      "application/json"});
      case phase::done:
        return;
    }
  }

  void close() {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec); // aborts the armed wait; the timer goes too, and with it `self`
    timer_.cancel();
  }

  tcp::socket socket_;
  io_loop& loop_;
  asio::steady_timer timer_;
  const server_options& opts_;
  std::shared_ptr<app_handler> app_;
  std::shared_ptr<conn_registry> registry_;
  std::optional<request_parser> parser_;
  std::string in_;          // bytes read, parsed up to in_off_
  std::size_t in_off_ = 0;
  std::string reply_;       // the reply being written; reused by the next one
  std::string remote_;
  std::string remote_ip_;
  std::uint64_t request_seq_ = 0;
  std::uint64_t timer_gen_ = 0;
  std::int64_t deadline_ms_ = 0;
  std::int64_t armed_ms_ = 0;
  phase phase_ = phase::reading;
  bool timer_armed_ = false;
  bool waiting_ = false;     // a readiness wait is armed
  bool readable_ = false;    // readiness seen (or a read stopped early): read before waiting
  bool peer_eof_ = false;
  bool keep_alive_ = true;
  bool stopping_ = false;
  bool continue_sent_ = false;
};

} // namespace

void serve_plain_http(tcp::socket socket, io_loop& loop, const server_options& opts,
                      std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> registry) {
  std::make_shared<plain_http>(std::move(socket), loop, opts, std::move(app), std::move(registry))
    ->start();
}

} // namespace sy
