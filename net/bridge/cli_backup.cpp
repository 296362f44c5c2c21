#include "net/bridge/cli_backup.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace sy {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct endpoint {
  std::string host;
  std::string port = "80";
  std::string prefix; // a path the node is served under, "" for the root
};

// http://host[:port][/prefix]. TLS is not spoken here: a TLS node is backed up through the
// admin call with any HTTPS client.
bool parse_url(const std::string& url, endpoint& out, std::string& error) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    error = url.rfind("https://", 0) == 0
              ? "https is not supported by the CLI: POST /v1/admin/backup with an HTTPS client"
              : "the URL must start with http://";
    return false;
  }
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string::npos)
    out.prefix = rest.substr(slash);
  while (!out.prefix.empty() && out.prefix.back() == '/')
    out.prefix.pop_back();
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
  }
  if (!out.host.empty() && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (out.host.empty() || out.port.empty()) {
    error = "no host or port in " + url;
    return false;
  }
  return true;
}

} // namespace

int run_backup(const backup_args& a) {
  endpoint ep;
  std::string error;
  if (!parse_url(a.url, ep, error)) {
    std::cerr << "switchyard backup: " << error << "\n";
    return 2;
  }
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto addrs = resolver.resolve(ep.host, ep.port, ec);
  stream.expires_after(std::chrono::milliseconds(a.timeout_ms));
  if (!ec)
    stream.connect(addrs, ec);
  if (ec) {
    std::cerr << "switchyard backup: cannot reach " << a.url << ": " << ec.message() << "\n";
    return 1;
  }
  http::request<http::string_body> req{http::verb::post, ep.prefix + "/v1/admin/backup", 11};
  req.set(http::field::host, ep.host + ":" + ep.port);
  req.set(http::field::user_agent, "switchyard-backup");
  req.set(http::field::content_type, "application/json");
  req.set(http::field::authorization, "Bearer " + a.api_key);
  req.keep_alive(false);
  req.body() = json::serialize(json::object{{"to", a.to}});
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec)
    http::read(stream, buffer, res, ec);
  if (ec) {
    std::cerr << "switchyard backup: no answer from " << a.url << ": " << ec.message() << "\n";
    return 1;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  json::error_code jec;
  auto v = json::parse(res.body(), jec);
  if (res.result() == http::status::ok && !jec && v.is_object()
      && v.as_object().contains("dir") && v.as_object().at("dir").is_string()) {
    std::cout << v.as_object().at("dir").as_string().c_str() << "\n";
    return 0;
  }
  std::string code = "?", message = res.body();
  if (!jec && v.is_object()) {
    if (auto* e = v.as_object().if_contains("error"); e && e->is_object()) {
      if (auto* c = e->as_object().if_contains("code"); c && c->is_string())
        code = c->as_string().c_str();
      if (auto* m = e->as_object().if_contains("message"); m && m->is_string())
        message = m->as_string().c_str();
    }
  }
  std::cerr << "switchyard backup: " << res.result_int() << " " << code << ": " << message << "\n";
  return 1;
}

int cmd_backup(const std::string& to, const std::string& url,
               const std::optional<std::string>& api_key, const config& cfg) {
  if (to.empty()) {
    std::cerr << "backup: --to DIR is required\n";
    return 2;
  }
  backup_args a;
  std::error_code ec;
  a.to = std::filesystem::absolute(to, ec).lexically_normal().string();
  if (ec)
    a.to = to;
  a.api_key = api_key.value_or(cfg.api_key);
  a.url = url;
  if (a.url.empty()) {
    std::string host;
    std::uint16_t port = 0;
    split_host_port(cfg.listen, host, port);
    if (host.empty() || host == "0.0.0.0" || host == "::")
      host = "127.0.0.1";
    if (host.find(':') != std::string::npos)
      host = "[" + host + "]";
    a.url = "http://" + host + ":" + std::to_string(port);
  }
  return run_backup(a);
}

} // namespace sy
