// The only translation unit of the test support library that includes Beast (~35 s to compile
// here); everything else sees the pimpl headers ws_client.hpp and http_client.hpp.
#include "support/http_client.hpp"
#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <cctype>
#include <deque>

namespace sy::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using error_code = boost::system::error_code;

namespace {

// Drives `ioc` until `done` turns true or the deadline passes. Every client operation is async
// underneath so that each wait in a test is bounded; the io_context runs only inside these calls.
bool run_until(asio::io_context& ioc, const bool& done, clock_type::time_point deadline) {
  while (!done) {
    auto now = clock_type::now();
    if (now >= deadline)
      return false;
    if (ioc.stopped())
      ioc.restart();
    if (ioc.run_one_for(deadline - now) == 0 && ioc.stopped() && !done)
      return false; // nothing left that could complete
  }
  return true;
}

// Runs handlers of cancelled operations so nothing still refers to freed state.
void settle(asio::io_context& ioc) {
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(200));
}

} // namespace

// -- ws_client ----------------------------------------------------------------------------------

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  std::deque<std::string> inbox;
  bool read_pending = false;
  bool open = false;
  std::optional<close_status> closed;
  std::string refusal_body;
  std::string last_error;

  ~impl() {
    error_code ec;
    ws.next_layer().close(ec);
    settle(ioc);
  }

  void on_failure(const error_code& ec) {
    open = false;
    if (closed)
      return;
    // A received close frame is the better story even when answering it failed (EPIPE).
    if (ec == websocket::error::closed || ws.reason().code != websocket::close_code::none)
      closed = close_status{static_cast<int>(ws.reason().code),
                            std::string(ws.reason().reason.c_str()),
                            ec == websocket::error::closed ? "" : ec.message()};
    else
      closed = close_status{1006, "", ec.message()};
  }

  void start_read() {
    read_pending = true;
    ws.async_read(buffer, [this](error_code ec, std::size_t) {
      read_pending = false;
      if (ec)
        return on_failure(ec);
      inbox.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    });
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
      if (!read_pending)
        start_read();
      // Run until the pending read finishes (it clears read_pending) or time runs out.
      while (read_pending) {
        auto now = clock_type::now();
        if (now >= deadline)
          return std::nullopt; // the read stays pending for the next call
        if (ioc.stopped())
          ioc.restart();
        ioc.run_one_for(deadline - now);
      }
    }
  }

  // Sends one text message as several frames (first..last), each its own write_some.
  bool write_fragments(const std::vector<std::string>& parts) {
    if (!open || parts.empty())
      return false;
    ws.text(true);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      bool done = false;
      error_code wec;
      ws.async_write_some(i + 1 == parts.size(), asio::buffer(parts[i]),
                          [&](error_code ec, std::size_t) {
                            wec = ec;
                            done = true;
                          });
      if (!run_until(ioc, done, clock_type::now() + std::chrono::seconds(5)) || wec) {
        last_error = wec ? wec.message() : "write timed out";
        return false;
      }
    }
    return true;
  }

  // Pings and reads (keeping text frames in the inbox) until the pong arrives.
  bool ping_pong(std::chrono::milliseconds timeout) {
    if (!open)
      return false;
    std::size_t before = pongs;
    bool done = false;
    ws.async_ping({}, [&](error_code) { done = true; });
    auto deadline = clock_type::now() + timeout;
    if (!run_until(ioc, done, deadline))
      return false;
    while (pongs == before && open) {
      if (!read_pending)
        start_read();
      auto now = clock_type::now();
      if (now >= deadline)
        return false;
      if (ioc.stopped())
        ioc.restart();
      ioc.run_one_for(deadline - now);
    }
    return pongs > before;
  }

  std::size_t pongs = 0;

  bool write(const std::string& data, bool text) {
    if (!open)
      return false;
    ws.text(text);
    bool done = false;
    error_code wec;
    ws.async_write(asio::buffer(data), [&](error_code ec, std::size_t) {
      wec = ec;
      done = true;
    });
    if (!run_until(ioc, done, clock_type::now() + std::chrono::seconds(5))) {
      last_error = "write timed out";
      error_code ec;
      ws.next_layer().close(ec); // a stuck write means the test is broken; fail loudly
      run_until(ioc, done, clock_type::now() + std::chrono::seconds(1));
      on_failure(asio::error::timed_out);
      return false;
    }
    if (wec) {
      last_error = wec.message();
      // The read side usually has the better story (e.g. the server's close frame): keep the
      // connection state as is and let the next read report it.
      return false;
    }
    return true;
  }
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}
ws_client::~ws_client() = default;
ws_client::ws_client(ws_client&&) noexcept = default;
ws_client& ws_client::operator=(ws_client&&) noexcept = default;

int ws_client::connect(std::uint16_t port, const std::string& target,
                       const ws_connect_options& opts) {
  auto& m = *impl_;
  auto deadline = clock_type::now() + opts.timeout;
  auto& sock = m.ws.next_layer();
  error_code ec;
  sock.open(tcp::v4(), ec);
  if (ec) {
    m.last_error = ec.message();
    return 0;
  }
  // Must precede connect: the window is negotiated in the SYN.
  if (opts.rcvbuf_bytes > 0)
    sock.set_option(asio::socket_base::receive_buffer_size(opts.rcvbuf_bytes), ec);
  if (opts.sndbuf_bytes > 0)
    sock.set_option(asio::socket_base::send_buffer_size(opts.sndbuf_bytes), ec);
  bool done = false;
  error_code cec;
  sock.async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port),
                     [&](error_code e) {
                       cec = e;
                       done = true;
                     });
  if (!run_until(m.ioc, done, deadline) || cec) {
    m.last_error = cec ? cec.message() : "connect timed out";
    sock.close(ec);
    settle(m.ioc);
    return 0;
  }
  auto headers = opts.headers;
  m.ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    req.set(http::field::user_agent, "sy-integration-test");
    for (auto& [k, v] : headers)
      req.set(k, v);
  }));
  websocket::response_type res;
  done = false;
  error_code hec;
  m.ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), target, [&](error_code e) {
    hec = e;
    done = true;
  });
  if (!run_until(m.ioc, done, deadline)) {
    m.last_error = "handshake timed out";
    sock.close(ec);
    settle(m.ioc);
    return 0;
  }
  if (hec) {
    m.last_error = hec.message();
    m.refusal_body = res.body();
    int status = res.result_int();
    sock.close(ec);
    // A declined upgrade carries the server's status; anything else is a transport failure.
    return status != 0 && status != 101 ? status : 0;
  }
  m.open = true;
  m.ws.control_callback([&m](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong)
      ++m.pongs;
  });
  return 101;
}

const std::string& ws_client::refusal_body() const { return impl_->refusal_body; }
std::string ws_client::last_error() const { return impl_->last_error; }

bool ws_client::send_text(const std::string& text) { return impl_->write(text, true); }
bool ws_client::send_binary(const std::string& bytes) { return impl_->write(bytes, false); }
bool ws_client::send_fragmented(const std::vector<std::string>& parts) {
  return impl_->write_fragments(parts);
}
bool ws_client::ping(std::chrono::milliseconds timeout) { return impl_->ping_pong(timeout); }

std::optional<std::string> ws_client::read_text(std::chrono::milliseconds timeout) {
  return impl_->next_frame(timeout);
}

boost::json::value ws_client::read_json(std::chrono::milliseconds timeout) {
  auto f = impl_->next_frame(timeout);
  if (!f)
    return nullptr;
  error_code ec;
  auto v = boost::json::parse(*f, ec);
  if (ec)
    return boost::json::string(*f);
  return v;
}

void ws_client::close(int code) {
  auto& m = *impl_;
  if (!m.open)
    return;
  bool done = false;
  m.ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                   [&](error_code) { done = true; });
  if (!run_until(m.ioc, done, clock_type::now() + std::chrono::seconds(2))) {
    error_code ec;
    m.ws.next_layer().close(ec);
    run_until(m.ioc, done, clock_type::now() + std::chrono::seconds(1));
  }
  m.open = false;
  if (!m.closed)
    m.closed = close_status{code, "", "closed by client"};
  settle(m.ioc);
}

void ws_client::abort() {
  auto& m = *impl_;
  error_code ec;
  m.ws.next_layer().close(ec);
  settle(m.ioc);
  m.open = false;
  if (!m.closed)
    m.closed = close_status{1006, "", "aborted by client"};
}

bool ws_client::is_open() const { return impl_->open; }
std::optional<close_status> ws_client::closed() const { return impl_->closed; }

std::optional<close_status> ws_client::wait_closed(std::chrono::milliseconds timeout,
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

// -- http_client --------------------------------------------------------------------------------

struct http_client::impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::uint16_t port;
  std::chrono::milliseconds timeout;

  ~impl() {
    if (stream) {
      error_code ec;
      stream->socket().close(ec);
    }
    settle(ioc);
  }

  bool connect(std::string& err) {
    stream.emplace(ioc);
    buffer.consume(buffer.size());
    stream->expires_after(timeout);
    bool done = false;
    error_code cec;
    stream->async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port),
                          [&](error_code e) {
                            cec = e;
                            done = true;
                          });
    run_until(ioc, done, clock_type::now() + timeout + std::chrono::seconds(1));
    if (!done || cec) {
      err = cec ? cec.message() : "connect timed out";
      stream.reset();
      return false;
    }
    return true;
  }

  // Write and read run concurrently: a server that rejects a large body early (413) may answer
  // and close before it has read everything, which would fail a write-then-read client.
  http_response exchange(http::request<http::string_body>& req) {
    http_response out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    stream->expires_after(timeout);
    bool wrote = false, read = false;
    error_code wec, rec;
    http::async_write(*stream, req, [&](error_code e, std::size_t) {
      wec = e;
      wrote = true;
    });
    http::async_read(*stream, buffer, parser, [&](error_code e, std::size_t) {
      rec = e;
      read = true;
    });
    auto deadline = clock_type::now() + timeout + std::chrono::seconds(1);
    run_until(ioc, read, deadline);
    if (!read || rec) {
      out.body = rec ? rec.message() : "read timed out";
      error_code ec;
      stream->socket().close(ec);
      run_until(ioc, wrote, clock_type::now() + std::chrono::seconds(1));
      run_until(ioc, read, clock_type::now() + std::chrono::seconds(1));
      stream.reset();
      return out;
    }
    // The response is complete; a pending write failing now is irrelevant.
    if (!wrote) {
      error_code ec;
      stream->socket().close(ec);
      run_until(ioc, wrote, clock_type::now() + std::chrono::seconds(1));
      stream.reset();
    }
    auto& res = parser.get();
    out.status = res.result_int();
    out.body = res.body();
    for (auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.headers[name] = std::string(f.value());
    }
    if (stream && (!res.keep_alive() || wec)) {
      error_code ec;
      stream->socket().close(ec);
      stream.reset();
    }
    return out;
  }
};

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
  : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->timeout = timeout;
}

http_client::~http_client() = default;

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
  auto& m = *impl_;
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(m.port));
  req.set(http::field::user_agent, "sy-integration-test");
  for (auto& [k, v] : headers)
    req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body() = body;
    req.prepare_payload();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = m.stream.has_value();
    std::string err;
    if (!m.stream && !m.connect(err))
      return http_response{0, err, {}};
    auto res = m.exchange(req);
    // Retry once only when a kept-alive connection turned out to be closed by the server.
    if (res.status != 0 || !reused)
      return res;
  }
  return http_response{0, "request failed twice", {}};
}

} // namespace sy::test
