#pragma once
// Where the client commands (publish, tail, backup) find the node: --url, SWITCHYARD_URL, or
// the configured listen address. Plain strings, no sockets.
#include <string>

#include "config/config.hpp"

namespace sy {

struct cli_endpoint {
  std::string host;        // without brackets for IPv6
  std::string port = "80";
  std::string prefix;      // a path the node is served under, "" for the root
};

/// http://host[:port][/prefix] (ws:// too, for tail). TLS is not spoken by the CLI: an https://
/// or wss:// URL is refused with a message saying so.
bool parse_cli_url(const std::string& url, cli_endpoint& out, std::string& error);

/// The URL to use: `flag` when given, else $SWITCHYARD_URL when set, else http:// and the
/// listen address of `cfg` (a wildcard address is reached on loopback).
std::string cli_url(const std::string& flag, const config& cfg);

} // namespace sy
