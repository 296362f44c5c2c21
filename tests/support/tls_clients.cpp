// TLS clients for the integration tests. A second Beast translation unit (the plain clients'
// file stays as it was), compiled once into sy_test_support.
#include "support/tls_clients.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace sy::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

// Drives `ioc` until `done` or the deadline (the io_context runs only inside these calls).
bool run_until(asio::io_context& ioc, const bool& done, clock_type::time_point deadline) {
  while (!done) {
    auto now = clock_type::now();
    if (now >= deadline)
      return false;
    if (ioc.stopped())
      ioc.restart();
    if (ioc.run_one_for(deadline - now) == 0 && ioc.stopped() && !done)
      return false;
  }
  return true;
}

void settle(asio::io_context& ioc) {
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(200));
}

// Trust `ca_file` only (connect_tls turns verification on for each stream).
void configure(ssl::context& ctx, const tls_client_options& opts) {
  error_code ec;
  if (!opts.ca_file.empty())
    ctx.load_verify_file(opts.ca_file, ec);
}

// TCP connect (SO_RCVBUF first when asked) and TLS handshake on `s`, within `deadline`.
bool connect_tls(asio::io_context& ioc, beast::ssl_stream<beast::tcp_stream>& s,
                 std::uint16_t port, const tls_client_options& opts,
                 clock_type::time_point deadline, std::string& err) {
  auto& sock = beast::get_lowest_layer(s).socket();
  error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec && opts.rcvbuf_bytes > 0)
    sock.set_option(asio::socket_base::receive_buffer_size(opts.rcvbuf_bytes), ec);
  if (ec) {
    err = ec.message();
    return false;
  }
  bool done = false;
  error_code cec;
  sock.async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port),
                     [&](error_code e) {
                       cec = e;
                       done = true;
                     });
  if (!run_until(ioc, done, deadline) || cec) {
    err = cec ? cec.message() : "connect timed out";
    return false;
  }
  // Per stream: an SSL object copies the context's verify mode when it is created.
  s.set_verify_mode(ssl::verify_peer);
  s.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  done = false;
  s.async_handshake(ssl::stream_base::client, [&](error_code e) {
    cec = e;
    done = true;
  });
  if (!run_until(ioc, done, deadline) || cec) {
    err = cec ? cec.message() : "TLS handshake timed out";
    return false;
  }
  return true;
}

} // namespace

// -- test_certificate ---------------------------------------------------------------------------

test_certificate::test_certificate() {
  char tmpl[] = "/tmp/switchyard-tls-XXXXXX";
  if (!::mkdtemp(tmpl))
    throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  cert_ = dir_ + "/cert.pem";
  key_ = dir_ + "/key.pem";
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                    " -days 2 -subj /CN=localhost"
                    " -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
                    " -keyout " + key_ + " -out " + cert_ + " >" + dir_ + "/openssl.log 2>&1";
  if (std::system(cmd.c_str()) != 0 || !std::filesystem::exists(cert_)) {
    std::ifstream log(dir_ + "/openssl.log");
    std::stringstream text;
    text << log.rdbuf();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error("openssl could not make a test certificate (is the openssl CLI "
                             "installed? scripts/deps.sh installs it): " + text.str());
  }
}

test_certificate::~test_certificate() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

// -- wss_client ---------------------------------------------------------------------------------

struct wss_client::impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws{ioc, ctx};
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  bool read_pending = false;
  bool open = false;
  std::optional<close_status> closed;
  std::string last_error;

  ~impl() {
    beast::get_lowest_layer(ws).close();
    settle(ioc);
  }

  void on_failure(const error_code& ec) {
    open = false;
    if (closed)
      return;
    if (ec == websocket::error::closed || ws.reason().code != websocket::close_code::none)
      closed = close_status{static_cast<int>(ws.reason().code),
                            std::string(ws.reason().reason.c_str()),
                            ec == websocket::error::closed ? "" : ec.message()};
    else
      closed = close_status{1006, "", ec.message()};
  }

  std::optional<std::string> next_frame(std::chrono::milliseconds timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      if (!inbox.empty()) {
        auto f = std::move(inbox.front());
        inbox.pop_front();
        return f;
      }
      if (!open)
        return std::nullopt;
      if (!read_pending) {
        read_pending = true;
        ws.async_read(buffer, [this](error_code ec, std::size_t) {
          read_pending = false;
          if (ec)
            return on_failure(ec);
          inbox.push_back(beast::buffers_to_string(buffer.data()));
          buffer.consume(buffer.size());
        });
      }
      while (read_pending) {
        auto now = clock_type::now();
        if (now >= deadline)
          return std::nullopt; // stays pending for the next call
        if (ioc.stopped())
          ioc.restart();
        ioc.run_one_for(deadline - now);
      }
    }
  }
};

wss_client::wss_client() : impl_(std::make_unique<impl>()) {}
wss_client::~wss_client() = default;
wss_client::wss_client(wss_client&&) noexcept = default;
wss_client& wss_client::operator=(wss_client&&) noexcept = default;

int wss_client::connect(std::uint16_t port, const std::string& target,
                        const tls_client_options& opts) {
  auto& m = *impl_;
  auto deadline = clock_type::now() + opts.timeout;
  configure(m.ctx, opts);
  if (!connect_tls(m.ioc, m.ws.next_layer(), port, opts, deadline, m.last_error)) {
    beast::get_lowest_layer(m.ws).close();
    settle(m.ioc);
    return 0;
  }
  auto headers = opts.headers;
  m.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(http::field::user_agent, "sy-integration-test-tls");
    for (auto& [k, v] : headers)
      req.set(k, v);
  }));
  websocket::response_type res;
  bool done = false;
  error_code hec;
  m.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), target, [&](error_code e) {
    hec = e;
    done = true;
  });
  if (!run_until(m.ioc, done, deadline) || hec) {
    m.last_error = hec ? hec.message() : "WebSocket handshake timed out";
    int status = res.result_int();
    beast::get_lowest_layer(m.ws).close();
    settle(m.ioc);
    return status != 0 && status != 101 ? status : 0;
  }
  m.open = true;
  return 101;
}

std::string wss_client::last_error() const { return impl_->last_error; }
bool wss_client::is_open() const { return impl_->open; }
std::optional<close_status> wss_client::closed() const { return impl_->closed; }

bool wss_client::send_text(const std::string& text) {
  auto& m = *impl_;
  if (!m.open)
    return false;
  m.ws.text(true);
  bool done = false;
  error_code wec;
  m.ws.async_write(asio::buffer(text), [&](error_code ec, std::size_t) {
    wec = ec;
    done = true;
  });
  if (!run_until(m.ioc, done, clock_type::now() + std::chrono::seconds(5)) || wec) {
    m.last_error = wec ? wec.message() : "write timed out";
    return false;
  }
  return true;
}

std::optional<std::string> wss_client::read_text(std::chrono::milliseconds timeout) {
  return impl_->next_frame(timeout);
}

boost::json::value wss_client::read_json(std::chrono::milliseconds timeout) {
  auto f = impl_->next_frame(timeout);
  if (!f)
    return nullptr;
  error_code ec;
  auto v = boost::json::parse(*f, ec);
  if (ec)
    return boost::json::string(*f);
  return v;
}

void wss_client::close(int code) {
  auto& m = *impl_;
  if (!m.open)
    return;
  bool done = false;
  m.ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                   [&](error_code ec) {
                     if (ec)
                       m.last_error = ec.message();
                     done = true;
                   });
  if (!run_until(m.ioc, done, clock_type::now() + std::chrono::seconds(3))) {
    m.last_error = "close timed out";
    beast::get_lowest_layer(m.ws).close();
    run_until(m.ioc, done, clock_type::now() + std::chrono::seconds(1));
  }
  m.open = false;
  if (!m.closed)
    m.closed = close_status{code, "", "closed by client"};
}

std::optional<close_status> wss_client::wait_closed(std::chrono::milliseconds timeout,
                                                    std::size_t* frames_discarded) {
  auto deadline = clock_type::now() + timeout;
  while (impl_->open || !impl_->inbox.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0)
      break;
    if (impl_->next_frame(left) && frames_discarded)
      ++*frames_discarded;
  }
  return impl_->closed;
}

// -- https_request ------------------------------------------------------------------------------

http_response https_request(std::uint16_t port, const tls_client_options& opts,
                            const std::string& method, const std::string& target,
                            const std::string& body, const header_list& headers) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  configure(ctx, opts);
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  auto deadline = clock_type::now() + opts.timeout;
  http_response out;
  auto fail = [&](std::string err) {
    out.status = 0;
    out.body = std::move(err);
    beast::get_lowest_layer(s).close();
    settle(ioc);
    return out;
  };
  std::string err;
  if (!connect_tls(ioc, s, port, opts, deadline, err))
    return fail(err);

  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "sy-integration-test-tls");
  for (auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = body;
    req.prepare_payload();
  }
  bool done = false;
  error_code ec;
  http::async_write(s, req, [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(ioc, done, deadline) || ec)
    return fail(ec ? ec.message() : "write timed out");
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  done = false;
  http::async_read(s, buffer, res, [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(ioc, done, deadline) || ec)
    return fail(ec ? ec.message() : "read timed out");
  out.status = res.result_int();
  out.body = res.body();
  for (auto& f : res) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers[name] = std::string(f.value());
  }
  beast::get_lowest_layer(s).close();
  settle(ioc);
  return out;
}

// -- tls_raw_conn -------------------------------------------------------------------------------

struct tls_raw_conn::impl {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> s;
  tls_raw_result out;
};

tls_raw_conn::tls_raw_conn(std::uint16_t port, const tls_client_options& opts)
  : impl_(std::make_unique<impl>()) {
  configure(impl_->ctx, opts);
  impl_->s.emplace(impl_->ioc, impl_->ctx);
  connect_tls(impl_->ioc, *impl_->s, port, opts, clock_type::now() + opts.timeout,
              impl_->out.error);
}

tls_raw_conn::~tls_raw_conn() {
  beast::get_lowest_layer(*impl_->s).close();
  settle(impl_->ioc);
}

const std::string& tls_raw_conn::error() const {
  return impl_->out.error;
}

const tls_raw_result& tls_raw_conn::result() const {
  return impl_->out;
}

bool tls_raw_conn::send(const std::string& bytes, std::chrono::milliseconds limit) {
  if (!impl_->out.error.empty() || impl_->out.closed)
    return false;
  bool done = false;
  error_code ec;
  asio::async_write(*impl_->s, asio::buffer(bytes), [&](error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(impl_->ioc, done, clock_type::now() + limit))
    return false;
  if (ec)
    impl_->out.closed = true;
  return !ec;
}

const tls_raw_result& tls_raw_conn::read_for(std::chrono::milliseconds limit,
                                             const std::string& until) {
  auto& out = impl_->out;
  auto deadline = clock_type::now() + limit;
  char buf[16384];
  while (out.error.empty() && !out.closed
         && (until.empty() || out.received.find(until) == std::string::npos)) {
    bool done = false;
    std::size_t got = 0;
    error_code ec;
    impl_->s->async_read_some(asio::buffer(buf), [&](error_code e, std::size_t n) {
      ec = e;
      got = n;
      done = true;
    });
    if (!run_until(impl_->ioc, done, deadline)) {
      // Still open at the limit: cancel the read so the next call starts a fresh one.
      beast::get_lowest_layer(*impl_->s).cancel();
      run_until(impl_->ioc, done, clock_type::now() + std::chrono::seconds(1));
      out.received.append(buf, got);
      break;
    }
    out.received.append(buf, got);
    if (ec)
      out.closed = true;
  }
  return out;
}

tls_raw_result tls_raw_exchange(std::uint16_t port, const tls_client_options& opts,
                                const std::string& bytes, std::chrono::milliseconds limit) {
  tls_raw_conn c(port, opts);
  if (!c.error().empty() || !c.send(bytes, limit))
    return c.result();
  return c.read_for(limit);
}

std::int64_t ms_until_dropped_after_handshake(std::uint16_t port, const tls_client_options& opts,
                                              std::chrono::milliseconds limit) {
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  configure(ctx, opts);
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  std::string err;
  if (!connect_tls(ioc, s, port, opts, clock_type::now() + opts.timeout, err))
    return -2;
  auto start = clock_type::now();
  char byte;
  bool done = false;
  s.async_read_some(asio::buffer(&byte, 1), [&](error_code, std::size_t) { done = true; });
  bool dropped = run_until(ioc, done, start + limit);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
  beast::get_lowest_layer(s).close();
  settle(ioc);
  return dropped ? ms.count() : -1;
}

} // namespace sy::test
