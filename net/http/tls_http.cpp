#include "net/http/tls_http.hpp"

#include <chrono>
#include <optional>
#include <string>

#include <sys/socket.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>

#include "net/http/http_refusals.hpp"
#include "schema/errc.hpp"
#include "net/http/reply_buffer.hpp"
#include "net/http/request_parser.hpp"
#include "net/http/sse_stream.hpp"
#include "net/http/ws_upgrade.hpp"
#include "net/ws/ws_frame.hpp"

namespace sy {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A peer that does not answer our close_notify within this loses the socket anyway.
constexpr std::chrono::milliseconds tls_close_bound{1000};

// HTTPS connections (plain TCP is served by plain_http.cpp). Beast's stream machinery stays
// here because OpenSSL needs a read outstanding and its own buffering; the parser, replies and
// limits are the plain path's (request_parser, http_refusals, reply_buffer.hpp, the registry's
// admission and reply budget), so both answer every request alike.
class tls_http final : public closable, public std::enable_shared_from_this<tls_http> {
public:
  tls_http(tls_stream&& s, io_loop& loop, const server_options& opts,
           std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> reg,
           admission_ticket ticket)
    : stream_(std::move(s)),
      loop_(loop),
      timer_(loop.context()),
      opts_(opts),
      app_(std::move(app)),
      registry_(std::move(reg)),
      ticket_(std::move(ticket)),
      charge_(registry_->replies()) {
  }

  ~tls_http() override {
    registry_->remove(this);
  }

  void start() {
    registry_->add(shared_from_this(), ticket_.kind());
    beast::error_code ec;
    auto ep = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
      remote_ip_ = ep.address().to_string();
    }
    detect_tls();
  }

  void shutdown() override {
    // The loop's executor, not the stream's: a TLS stream may just have moved to a WebSocket.
    asio::dispatch(loop_.context(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (!self->busy_ && !self->upgraded_) {
        beast::error_code ec;
        self->lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
        self->lowest().close();
      }
    });
  }

  void abandon() override {
  }

private:
  beast::tcp_stream& lowest() noexcept {
    return beast::get_lowest_layer(stream_);
  }

  void begin() {
    if (auto no = admission_refusal(ticket_.kind(), nullptr))
      return refuse(std::move(*no));
    if (is_reserve(ticket_.kind())) // one probe, answered quickly, or the place goes
      keep_alive_ = false;
    do_read();
  }

  // -- detection and handshake get the same slowloris deadline as a request --
  void detect_tls() {
    lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
    beast::async_detect_ssl(lowest(), buffer_,
                            [self = shared_from_this()](beast::error_code ec, bool is_tls) {
                              if (ec)
                                return self->lowest().close();
                              if (!is_tls)
                                return self->refuse_plaintext();
                              self->handshake();
                            });
  }

  void handshake() {
    stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                            [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                              if (ec) // untrusted cert, bad version, garbage, timeout
                                return self->lowest().close();
                              self->buffer_.consume(used);
                              self->begin();
                            });
  }

  // Plain HTTP on the TLS port: one clear answer in plain text rather than a silent drop.
  void refuse_plaintext() {
    auto res = std::make_shared<http::response<http::string_body>>(
      static_cast<http::status>(http_status(errc::tls_required)), 11);
    res->set(http::field::server, "switchyard");
    res->set(http::field::content_type, "application/json");
    res->keep_alive(false);
    res->body() =
      json_error_body(wire_code(errc::tls_required), "this port speaks TLS only: use https:// or wss://");
    res->prepare_payload();
    http::async_write(lowest(), *res, [self = shared_from_this(), res](beast::error_code ec,
                                                                       std::size_t) {
      if (ec)
        return self->lowest().close();
      // Half-close and read the rest of the request: closing with unread bytes would send a
      // reset that can destroy the answer before the client reads it.
      beast::error_code ignored;
      self->lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drain_then_close();
    });
  }

  void drain_then_close() {
    buffer_.consume(buffer_.size());
    lowest().async_read_some(buffer_.prepare(4096),
                             [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec)
                                 return self->lowest().close(); // EOF, or the deadline
                               self->drain_then_close();
                             });
  }

  // -- reading: the plain path's parser over decrypted bytes --------------------------------

  void do_read() {
    parser_.emplace(opts_.max_header_bytes, opts_.max_body_bytes);
    // Slowloris guard: a request (headers and body, upgrades included) must arrive in time.
    lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
    parse_buffered(); // a pipelined request may be here already
  }

  void parse_buffered() {
    beast::error_code ec;
    auto in = buffer_.data();
    auto used = parser_->feed(static_cast<const char*>(in.data()), in.size(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more)
      return read_more();
    if (ec)
      return refuse(parse_refusal(ec));
    on_request();
  }

  void read_more() {
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              // EOF (mid-request too, like the plain path), the deadline, a
                              // reset, a TLS failure: nothing is left to answer on.
                              if (ec)
                                return self->close();
                              self->buffer_.commit(n);
                              self->parse_buffered();
                            });
  }

  void on_request() {
    http_request info = std::move(parser_->request());
    info.remote = remote_;
    info.remote_ip = remote_ip_;
    info.pass = &loop_;
    keep_alive_ = keep_alive_ && parser_->keep_alive();
    if (auto no = admission_refusal(ticket_.kind(), &info))
      return refuse(std::move(*no)); // a reserve connection asked for more than health
    if (registry_->draining()) // parsed after SIGTERM: not handed on, and says so
      return refuse(shutting_down());
    if (info.websocket_upgrade)
      return upgrade(std::move(info));
    if (is_event_stream_request(info)) {
      std::string head;
      if (auto d = app_->on_event_stream(info, head))
        return event_stream(std::move(*d), std::move(head));
    }
    if (!registry_->enter_router()) // the drain began meanwhile
      return refuse(shutting_down());
    parser_.reset();
    busy_ = true;
    // Counted until write(), whoever answers (the router, or the request timeout).
    lowest().expires_never();
    // The router answers through a completion; if it doesn't within request_timeout_ms the
    // client gets 503 and the late answer (matched by sequence number) is dropped.
    auto seq = requests_.next();
    timer_.expires_after(std::chrono::milliseconds(opts_.request_timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (!ec && self->requests_.wanted(seq, self->busy_))
        self->write(router_timeout());
    });
    app_->on_http(std::move(info), [self = shared_from_this(), seq](http_reply reply) {
      // Through the loop's outbox: replies completed together wake the loop once.
      self->loop_.push_task([self, seq, r = std::move(reply)]() mutable {
        if (self->requests_.wanted(seq, self->busy_)) {
          self->timer_.cancel();
          self->write(std::move(r));
        }
      });
    });
  }

  void upgrade(http_request info) {
    if (auto bad = handshake_refusal(parser_->websocket_key(), parser_->websocket_version()))
      return refuse(std::move(*bad));
    auto decision = app_->on_upgrade(info);
    if (decision.refusal)
      return refuse(std::move(*decision.refusal));
    lowest().expires_never();
    auto response = ws::handshake_response(parser_->websocket_key());
    parser_.reset();
    std::string leftover(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    upgraded_ = true;
    // OpenSSL's state goes with it: the whole stream moves.
    start_websocket(std::move(stream_), loop_, opts_, registry_, std::move(ticket_),
                    std::move(response), std::move(leftover), std::move(decision));
  }

  // GET /v1/channels/{c}/stream: the TLS stream goes to an event stream, as to a WebSocket.
  void event_stream(upgrade_decision decision, std::string head) {
    if (decision.refusal)
      return refuse(std::move(*decision.refusal));
    lowest().expires_never();
    parser_.reset();
    upgraded_ = true;
    start_event_stream(std::move(stream_), loop_, opts_, registry_, std::move(ticket_),
                       std::move(head), std::move(decision));
  }

  // -- replies ------------------------------------------------------------------------------

  // A reply after which the connection closes.
  void refuse(http_reply reply) {
    keep_alive_ = false;
    write(std::move(reply));
  }

  void write(http_reply reply) {
    if (busy_) // the router's answer, or the 503 of its timeout
      registry_->request_answered();
    busy_ = false;
    const bool keep_alive = keep_alive_ && !stopping_ && !registry_->draining();
    // One write of a hand-made head followed by the body (see http_head.hpp). One buffer, not
    // two: Beast's TLS stream writes nothing for a gather list whose first buffer is empty,
    // which a partial write of the head would leave; the copy is small next to the encoding.
    serialize_reply(reply_, charge_, std::move(reply), keep_alive);
    // OpenSSL takes the reply in records as the socket drains: all of it waits until the
    // write completes.
    charge_.settle(reply_.size());
    lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
    asio::async_write(stream_, asio::buffer(reply_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        self->after_write(static_cast<bool>(ec), keep_alive);
                      });
  }

  void after_write(bool failed, bool keep_alive) {
    release_reply(reply_, charge_);
    if (failed)
      return close();
    if (!keep_alive)
      return close_after_reply();
    do_read();
  }

  void close() {
    lowest().close(); // nothing sensible to say on a failed or timed-out TLS stream
  }

  // The last reply went out: TLS says close_notify so the client can tell an end from a cut.
  void close_after_reply() {
    lowest().expires_after(tls_close_bound);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
      self->lowest().close();
    });
  }

  tls_stream stream_;
  io_loop& loop_;
  asio::steady_timer timer_; // request timeout, reused for every request of the connection
  request_sequence requests_;
  beast::flat_buffer buffer_;
  std::optional<request_parser> parser_;
  server_options opts_;
  std::shared_ptr<app_handler> app_;
  std::shared_ptr<conn_registry> registry_;
  admission_ticket ticket_; // this connection's place under the connection limits
  reply_charge charge_;     // what reply_ holds against http.max_pending_reply_bytes_total
  std::string remote_;
  std::string remote_ip_;
  std::string reply_; // the reply being written (one at a time); reused by the next one
  bool keep_alive_ = true;
  bool busy_ = false;
  bool stopping_ = false;
  bool upgraded_ = false;       // the stream belongs to a WebSocket connection now
};

} // namespace

void serve_tls_http(tls_stream stream, io_loop& loop, const server_options& opts,
                    std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> registry,
                    admission_ticket ticket) {
  std::make_shared<tls_http>(std::move(stream), loop, opts, std::move(app), std::move(registry),
                             std::move(ticket))
    ->start();
}

} // namespace sy
