#pragma once
// `switchyard backup --to DIR`: asks a running node for a checkpoint of its store
// (POST /v1/admin/backup). No CAF: a plain blocking HTTP client.
#include <optional>
#include <string>

#include "config/config.hpp"

namespace sy {

struct backup_args {
  std::string to;      // the target directory on the node's host (made absolute by the caller)
  std::string url;     // http://host:port of the node
  std::string api_key; // the node's API key (admin right)
  int timeout_ms = 60000;
};

/// Runs the call: prints the backup's directory on stdout and returns 0, or prints why not on
/// stderr and returns 1 (the node refused or failed) or 2 (bad arguments, e.g. the URL).
int run_backup(const backup_args& a);

/// `switchyard backup --to DIR [--url URL] [--api-key KEY]` for the node of `cfg`: its listen
/// port (a wildcard address is reached on loopback) unless `url` says otherwise, its API key
/// unless `api_key` does. A relative DIR is made absolute here: the node resolves it, not the
/// caller's shell. 2 when `to` is empty.
int cmd_backup(const std::string& to, const std::string& url,
               const std::optional<std::string>& api_key, const config& cfg);

} // namespace sy
