#include "net/http/http_server.hpp"

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
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>

#include "net/io/io_loop.hpp"
#include "net/http/plain_http.hpp"
#include "net/http/tls_http.hpp"
#include "schema/json_text.hpp"

namespace sy {

namespace beast = boost::beast;

std::string json_error_body(std::string_view code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":";
  append_json_string(out, code);
  out += ",\"message\":";
  append_json_string(out, message);
  out += "}}";
  return out;
}

namespace {

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
    registry_limits limits;
    limits.admission = {opts_.max_connections, opts_.max_connections_per_ip,
                        opts_.loopback_reserve};
    limits.max_pending_reply_bytes = opts_.max_pending_reply_bytes;
    limits.max_pending_reply_bytes_total = opts_.max_pending_reply_bytes_total;
    registry_ = std::make_shared<conn_registry>(main, limits);
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

  void begin_drain() override {
    registry_->begin_drain();
  }

  std::size_t await_answers(std::int64_t timeout_ms) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (registry_->requests_in_router() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return registry_->requests_in_router();
  }

  void shutdown(std::int64_t grace_ms) override {
    registry_->begin_drain(); // (when step 1 was skipped)
    // WebSockets first, while HTTP connections still answer 503 shutting_down: a client that
    // sent a request before its subscribers saw their 1001 gets an answer.
    registry_->shutdown_websockets();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
    while (registry_->live_websockets() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    asio::post(acceptor_->get_executor(), [this] {
      beast::error_code ec;
      acceptor_->close(ec);
    });
    registry_->shutdown_all();
    // However long the close handshakes took, HTTP connections get a moment to answer what
    // is in their sockets (the process watchdog allows 3 s past the grace).
    deadline = std::max(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    while (registry_->live() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
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
        auto peer = s.remote_endpoint(ec);
        if (ec) { // gone already
          s.close(ec);
          return do_accept();
        }
        // Decided here, on the acceptor's thread, which is the registry's (conn_registry.hpp).
        auto ticket = registry_->admit(peer.address());
        // The session's first handlers must run on its own loop's thread.
        asio::post(loop.context(), [this, &loop, sock = std::move(s),
                                    t = std::move(ticket)]() mutable {
          if (tls_ctx_)
            serve_tls_http(tls_stream(std::move(sock), *tls_ctx_), loop, opts_, app_, registry_,
                           std::move(t));
          else
            serve_plain_http(std::move(sock), loop, opts_, app_, registry_, std::move(t));
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
