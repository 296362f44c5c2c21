#include "net/bridge/cli_publish.hpp"

#include <chrono>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "net/bridge/cli_url.hpp"
#include "schema/event.hpp"

namespace sy {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

// Longer than the server's request_timeout_ms (5 s), so its own 503 arrives first.
constexpr std::chrono::seconds publish_timeout{15};

// {"error":{"code","message"}} -> "code: message"; the raw body when it is not that shape.
std::string describe_refusal(const std::string& body) {
  json::error_code ec;
  auto v = json::parse(body, ec);
  if (!ec && v.is_object())
    if (auto* e = v.get_object().if_contains("error"); e && e->is_object()) {
      auto* code = e->get_object().if_contains("code");
      auto* msg = e->get_object().if_contains("message");
      if (code && code->is_string())
        return std::string(code->get_string())
               + (msg && msg->is_string() ? ": " + std::string(msg->get_string()) : "");
    }
  return body;
}

} // namespace

int cmd_publish(const cli& c, const config& cfg) {
  if (c.positional.size() != 2) {
    std::cerr << "switchyard publish: expected CHANNEL JSON (got " << c.positional.size()
              << " arguments)\n";
    return exit_usage;
  }
  const auto& channel = c.positional[0];
  if (!valid_channel_name(channel)) {
    std::cerr << "switchyard publish: invalid channel name \"" << channel
              << "\" (1-200 characters of A-Za-z0-9._:-)\n";
    return exit_usage;
  }
  json::error_code jec;
  auto data = json::parse(c.positional[1], jec);
  if (jec) {
    std::cerr << "switchyard publish: the event data is not JSON (" << jec.message()
              << "); a string is written with its quotes, e.g. '\"hi\"'\n";
    return exit_usage;
  }
  json::object body{{"data", std::move(data)}};
  if (!c.type.empty())
    body["type"] = c.type;
  if (!c.key.empty())
    body["idempotencyKey"] = c.key;

  auto url = cli_url(c.url, cfg);
  cli_endpoint ep;
  std::string error;
  if (!parse_cli_url(url, ep, error)) {
    std::cerr << "switchyard publish: " << error << "\n";
    return exit_usage;
  }
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto addrs = resolver.resolve(ep.host, ep.port, ec);
  stream.expires_after(publish_timeout);
  if (!ec)
    stream.connect(addrs, ec);
  if (ec) {
    std::cerr << "switchyard publish: cannot connect to " << url << ": " << ec.message() << "\n";
    return exit_unreachable;
  }
  http::request<http::string_body> req{http::verb::post,
                                       ep.prefix + "/v1/channels/" + channel + "/events", 11};
  req.set(http::field::host, ep.host + ":" + ep.port);
  req.set(http::field::user_agent, "switchyard-cli");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer " + c.api_key.value_or(cfg.api_key));
  req.keep_alive(false);
  req.body() = json::serialize(body);
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec)
    http::read(stream, buffer, res, ec);
  if (ec) {
    // Unknown whether the event was stored: with --key, running the same command again is safe.
    std::cerr << "switchyard publish: no answer from " << url << ": " << ec.message() << "\n";
    return exit_unreachable;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  if (res.result() == http::status::created || res.result() == http::status::ok) {
    std::cout << res.body() << "\n";
    return exit_ok;
  }
  std::cerr << "switchyard publish: refused (" << res.result_int()
            << "): " << describe_refusal(res.body()) << "\n";
  return exit_refused;
}

} // namespace sy
