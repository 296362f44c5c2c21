#pragma once
// The command line of the `switchyard` binary: one struct for every command's options, the
// parser and the usage text. No I/O beyond the strings.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sy {

/// Exit codes of the client commands (publish, tail, token) and of usage errors, README *CLI*.
/// serve, check-config and backup keep theirs (2 for a refused configuration or store).
enum cli_exit : int {
  exit_ok = 0,
  exit_usage = 1,   // unknown command or option, missing or malformed argument
  exit_refused = 2, // the server refused (its error code is printed), or the configuration did
  exit_unreachable = 3, // no connection to the node (or it ended before an answer)
};

struct cli {
  std::string command;
  std::vector<std::string> positional; // publish: CHANNEL JSON; tail: CHANNEL...
  std::optional<std::string> config_file;
  std::vector<std::string> sets;
  // token
  std::string sub;
  std::optional<std::int64_t> ttl;
  std::vector<std::string> channels;
  std::vector<std::string> publish;
  std::vector<std::string> workspaces;
  bool admin = false;
  // backup
  std::string to;
  // client commands
  std::string url;
  std::optional<std::string> api_key;
  std::optional<std::string> token;
  std::string type;            // publish --type
  std::string key;             // publish --key (idempotency key)
  std::vector<std::string> since; // tail --since CURSOR | CHANNEL=CURSOR (repeatable)
  std::string scopes;          // tail --scopes JSON object
  std::string error;           // a usage error: exit 1 with the usage text
};

extern const char* const cli_usage;

cli parse_cli(int argc, char** argv);

} // namespace sy
