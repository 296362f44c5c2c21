// GET /metrics: the Prometheus text exposition of this process's counters, open to the
// addresses in metrics.allow and, with metrics.token set, to a bearer of that token.
#include <boost/asio/ip/address.hpp>
#include <openssl/crypto.h>

#include "net/auth/auth.hpp"
#include "net/bridge/metrics_catalog.hpp"
#include "metrics/source_gauges.hpp"
#include "net/bridge/rest_impl.hpp"

namespace sy {

namespace {

// `ip` (the peer address, IPv4-mapped IPv6 read as IPv4) is one of metrics.allow's entries:
// an address, or "loopback" for 127.0.0.0/8 and ::1.
bool allowed_address(const std::string& ip, const std::vector<std::string>& allow) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(ip, ec);
  if (ec)
    return false;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    addr = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  for (const auto& entry : allow) {
    if (entry == "loopback") {
      if (addr.is_loopback())
        return true;
      continue;
    }
    auto a = boost::asio::ip::make_address(entry, ec);
    if (!ec && a == addr)
      return true;
  }
  return false;
}

bool token_matches(std::string_view given, const std::string& token) {
  return !token.empty() && given.size() == token.size()
         && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

} // namespace

void rest_api::impl::scrape_metrics(const http_request& req, const replier_ptr& reply) {
  if (!allowed_address(req.remote_ip, cfg->metrics_allow)) {
    if (cfg->metrics_token.empty())
      return (*reply)(deny(req, errc::forbidden,
                           "GET /metrics is open to metrics.allow only (metrics.token is not set)"));
    if (!token_matches(bearer_value(req.authorization), cfg->metrics_token))
      return (*reply)(deny(req, errc::unauthorized,
                           "GET /metrics from this address needs Authorization: Bearer "
                           "<metrics.token>"));
  }
  metrics_scope scope;
  scope.store = static_cast<bool>(store);
  scope.cluster = static_cast<bool>(cluster);
  auto body = render_metrics(scope);
  metrics::append_source_metrics(body);
  (*reply)({200, std::move(body), "text/plain; version=0.0.4; charset=utf-8"});
}

} // namespace sy
