#include "net/bridge/cli_url.hpp"

#include <cstdlib>

namespace sy {

bool parse_cli_url(const std::string& url, cli_endpoint& out, std::string& error) {
  std::string rest;
  for (const char* scheme : {"http://", "ws://"})
    if (url.rfind(scheme, 0) == 0)
      rest = url.substr(std::string(scheme).size());
  if (rest.empty()) {
    error = url.rfind("https://", 0) == 0 || url.rfind("wss://", 0) == 0
              ? "https is not supported by the CLI (use plain http on loopback, or any "
                "HTTPS/WSS client)"
              : "the URL must start with http:// (got \"" + url + "\")";
    return false;
  }
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

std::string cli_url(const std::string& flag, const config& cfg) {
  if (!flag.empty())
    return flag;
  if (const char* e = std::getenv("SWITCHYARD_URL"); e && *e)
    return e;
  std::string host;
  std::uint16_t port = 0;
  split_host_port(cfg.listen, host, port);
  if (host.empty() || host == "0.0.0.0" || host == "::")
    host = "127.0.0.1";
  if (host.find(':') != std::string::npos)
    host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port);
}

} // namespace sy
