#include "net/http_server.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/http_head.hpp"
#include "net/http_refusals.hpp"
#include "net/io_loop.hpp"
#include "net/plain_http.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_frame.hpp"
#include "schema/json_text.hpp"

namespace sy {

namespace beast = boost::beast;
namespace http = beast::http;

std::string json_error_body(std::string_view code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":";
  append_json_string(out, code);
  out += ",\"message\":";
  append_json_string(out, message);
  out += "}}";
  return out;
}

namespace {


std::string header(const http::request<http::string_body>& req, http::field f) {
  auto it = req.find(f);
  return it == req.end() ? std::string{} : std::string(it->value());
}

// A peer that does not answer our close_notify within this loses the socket anyway.
constexpr std::chrono::milliseconds tls_close_bound{1000};

// HTTPS connections (plain TCP is served by plain_http.cpp). Beast's stream machinery stays
// here because OpenSSL needs a read outstanding and its own buffering; the replies and limits are
// the same as on plain TCP. A template over the stream only so it reads like its plain sibling.
template <class Stream>
class http_session final : public closable,
                           public std::enable_shared_from_this<http_session<Stream>> {
  static constexpr bool tls = is_tls_v<Stream>;
  using std::enable_shared_from_this<http_session<Stream>>::shared_from_this;

public:
  http_session(Stream&& s, io_loop& loop, const server_options& opts,
               std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> reg)
    : stream_(std::move(s)),
      loop_(loop),
      timer_(loop.context()),
      opts_(opts),
      app_(std::move(app)),
      registry_(std::move(reg)) {
  }

  ~http_session() override {
    registry_->remove(this);
  }

  void start() {
    registry_->add(shared_from_this());
    beast::error_code ec;
    auto ep = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
      remote_ip_ = ep.address().to_string();
    }
    if constexpr (tls)
      return detect_tls();
    begin();
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
    if (registry_->live() > opts_.max_connections)
      return refuse(too_many_connections());
    do_read();
  }

  // -- TLS only: detection and handshake get the same slowloris deadline as a request --
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
    if constexpr (tls) {
      stream_.async_handshake(asio::ssl::stream_base::server, buffer_.data(),
                              [self = shared_from_this()](beast::error_code ec, std::size_t used) {
                                if (ec) // untrusted cert, bad version, garbage, timeout
                                  return self->lowest().close();
                                self->buffer_.consume(used);
                                self->begin();
                              });
    }
  }

  // Plain HTTP on the TLS port: one clear answer in plain text rather than a silent drop.
  void refuse_plaintext() {
    auto res = std::make_shared<http::response<http::string_body>>(http::status::bad_request, 11);
    res->set(http::field::server, "switchyard");
    res->set(http::field::content_type, "application/json");
    res->keep_alive(false);
    res->body() =
      json_error_body("tls_required", "this port speaks TLS only: use https:// or wss://");
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

  void do_read() {
    parser_.emplace();
    parser_->body_limit(opts_.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(opts_.max_header_bytes));
    // Slowloris guard: a request (headers and body, upgrades included) must arrive in time.
    lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout
        || ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return close();
    }
    // A TLS failure (truncation, alert, bad record) leaves nothing to answer on.
    if (tls && (ec.category() == asio::error::get_ssl_category()
                || ec == asio::ssl::error::stream_truncated))
      return close();
    if (ec)
      return refuse(parse_refusal(ec));

    auto req = parser_->release();
    parser_.reset();
    http_request info;
    info.method = std::string(req.method_string());
    info.target = std::string(req.target());
    info.authorization = header(req, http::field::authorization);
    info.has_origin = req.find(http::field::origin) != req.end();
    info.origin = header(req, http::field::origin);
    info.user_agent = header(req, http::field::user_agent);
    info.remote = remote_;
    info.remote_ip = remote_ip_;
    info.websocket_upgrade = beast::websocket::is_upgrade(req);
    info.pass = &loop_;
    keep_alive_ = req.keep_alive();

    if (info.websocket_upgrade) {
      if (auto bad = handshake_refusal(header(req, http::field::sec_websocket_key),
                                       header(req, http::field::sec_websocket_version)))
        return refuse(std::move(*bad));
      auto decision = app_->on_upgrade(info);
      if (decision.refusal)
        return refuse(std::move(*decision.refusal));
      lowest().expires_never();
      auto response = ws::handshake_response(header(req, http::field::sec_websocket_key));
      std::string leftover(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      upgraded_ = true;
      if constexpr (tls) { // OpenSSL's state goes with it: the whole stream moves
        auto conn = std::make_shared<ws_connection<tls_stream>>(std::move(stream_), loop_, opts_,
                                                                registry_);
        conn->start(std::move(response), std::move(leftover), std::move(decision.open),
                    decision.wire);
      } else {
        auto conn = std::make_shared<ws_connection<tcp::socket>>(stream_.release_socket(), loop_,
                                                                 opts_, registry_);
        conn->start(std::move(response), std::move(leftover), std::move(decision.open),
                    decision.wire);
      }
      return; // the socket now belongs to the WebSocket connection
    }
    info.body = std::move(req.body());
    busy_ = true;
    lowest().expires_never();
    // The router answers through a completion; if it doesn't within request_timeout_ms the
    // client gets 503 and the late answer (matched by sequence number) is dropped.
    auto seq = ++request_seq_;
    timer_.expires_after(std::chrono::milliseconds(opts_.request_timeout_ms));
    timer_.async_wait([self = shared_from_this(), seq](beast::error_code ec) {
      if (!ec && self->busy_ && self->request_seq_ == seq)
        self->write(router_timeout());
    });
    app_->on_http(std::move(info), [self = shared_from_this(), seq](http_reply reply) {
      // Through the loop's outbox: replies completed together wake the loop once.
      self->loop_.push_task([self, seq, r = std::move(reply)]() mutable {
        if (self->busy_ && self->request_seq_ == seq) {
          self->timer_.cancel();
          self->write(std::move(r));
        }
      });
    });
  }

  // A reply after which the connection closes.
  void refuse(http_reply reply) {
    keep_alive_ = false;
    write(std::move(reply));
  }

  void write(http_reply reply) {
    busy_ = false;
    const bool keep_alive = keep_alive_ && !stopping_;
    // One write of a hand-made head followed by the body (see http_head.hpp). One buffer, not
    // two: Beast's TLS stream writes nothing for a gather list whose first buffer is empty,
    // which a partial write of the head would leave; the copy is small next to the encoding.
    format_http_head(reply_, reply.status, reply.content_type, reply.body.size(), keep_alive);
    reply_ += reply.body;
    lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
    asio::async_write(stream_, asio::buffer(reply_),
                      [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        self->after_write(static_cast<bool>(ec), keep_alive);
                      });
  }

  void after_write(bool failed, bool keep_alive) {
    if (reply_.capacity() > 65536) // a big history page: let it go
      std::string().swap(reply_);
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
    if constexpr (tls) {
      lowest().expires_after(tls_close_bound);
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
        self->lowest().close();
      });
    } else {
      close();
    }
  }

  Stream stream_;
  io_loop& loop_;
  asio::steady_timer timer_; // request timeout, reused for every request of the connection
  std::uint64_t request_seq_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  server_options opts_;
  std::shared_ptr<app_handler> app_;
  std::shared_ptr<conn_registry> registry_;
  std::string remote_;
  std::string remote_ip_;
  std::string reply_; // the reply being written (one at a time); reused by the next one
  bool keep_alive_ = true;
  bool busy_ = false;
  bool stopping_ = false;
  bool upgraded_ = false;       // the stream belongs to a WebSocket connection now
};

class server_impl final : public http_server {
public:
  server_impl(server_options opts, std::shared_ptr<app_handler> app)
    : opts_(std::move(opts)), app_(std::move(app)) {
    // One io_context per I/O thread; connections are pinned to one (round-robin).
    for (std::size_t i = 0; i < std::max<std::size_t>(opts_.io_threads, 1); ++i) {
      loops_.push_back(std::make_unique<io_loop>());
      work_.push_back(asio::make_work_guard(loops_.back()->context()));
    }
    auto& main = loops_.front()->context();
    acceptor_.emplace(main);
    signals_.emplace(main, SIGINT, SIGTERM);
    registry_ = std::make_shared<conn_registry>(main);
  }

  ~server_impl() override {
    stop_threads();
  }

  std::string listen() override {
    if (opts_.tls.enabled()) {
      std::string error;
      tls_ctx_ = make_tls_context(opts_.tls, error);
      if (!tls_ctx_)
        return error;
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(opts_.host, ec);
    if (ec)
      return "listen: \"" + opts_.host + "\" is not an IP address";
    tcp::endpoint ep(addr, opts_.port);
    acceptor_->open(ep.protocol(), ec);
    if (!ec)
      acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_->bind(ep, ec);
    if (!ec)
      acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return "listen on " + opts_.host + ":" + std::to_string(opts_.port) + ": " + ec.message();
    port_ = acceptor_->local_endpoint().port();
    do_accept();
    return {};
  }

  std::uint16_t port() const override {
    return port_;
  }

  void run() override {
    signals_->async_wait([this](beast::error_code ec, int) {
      if (!ec)
        signalled_.set_value();
    });
    for (auto& loop : loops_)
      threads_.emplace_back([l = loop.get()] { l->context().run(); });
  }

  void wait_for_signal() override {
    signalled_.get_future().wait();
  }

  void shutdown(std::int64_t grace_ms) override {
    asio::post(acceptor_->get_executor(), [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
    registry_->shutdown_all();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (registry_->live() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop_threads();
    for (auto& c : registry_->leftovers())
      c->abandon();
  }

private:
  void do_accept() {
    auto& loop = *loops_[next_loop_];
    next_loop_ = (next_loop_ + 1) % loops_.size();
    acceptor_->async_accept(loop.context(), [this, &loop](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open())
        return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        // The session's first handlers must run on its own loop's thread.
        asio::post(loop.context(), [this, &loop, sock = std::move(s)]() mutable {
          if (tls_ctx_)
            std::make_shared<http_session<tls_stream>>(tls_stream(std::move(sock), *tls_ctx_),
                                                       loop, opts_, app_, registry_)
              ->start();
          else
            serve_plain_http(std::move(sock), loop, opts_, app_, registry_);
        });
      }
      do_accept(); // accept errors such as EMFILE are transient: keep serving
    });
  }

  void stop_threads() {
    for (auto& w : work_)
      w.reset();
    for (auto& loop : loops_)
      loop->context().stop();
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
    threads_.clear();
  }

  server_options opts_;
  std::shared_ptr<app_handler> app_;
  std::unique_ptr<asio::ssl::context> tls_ctx_; // set: every connection speaks TLS
  std::vector<std::unique_ptr<io_loop>> loops_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<asio::signal_set> signals_;
  std::shared_ptr<conn_registry> registry_;
  std::promise<void> signalled_;
  std::vector<std::thread> threads_;
  std::size_t next_loop_ = 0;
  std::uint16_t port_ = 0;
};

} // namespace

std::unique_ptr<http_server> http_server::make(server_options opts,
                                               std::shared_ptr<app_handler> app) {
  return std::make_unique<server_impl>(std::move(opts), std::move(app));
}

} // namespace sy
