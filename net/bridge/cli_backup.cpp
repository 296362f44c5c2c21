#include "net/bridge/cli_backup.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "net/bridge/cli_url.hpp"

namespace sy {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

} // namespace

int run_backup(const backup_args& a) {
  cli_endpoint ep;
  std::string error;
  if (!parse_cli_url(a.url, ep, error)) {
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
  // The backup names the node of this configuration unless told otherwise.
  a.url = cli_url(url, cfg);
  return run_backup(a);
}

} // namespace sy
