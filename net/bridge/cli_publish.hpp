#pragma once
// `switchyard publish CHANNEL JSON [--type T] [--key K]`: POST /v1/channels/{c}/events on a
// running node with a plain blocking HTTP client; prints the stored event.
#include "config/config.hpp"
#include "net/bridge/cli_args.hpp"

namespace sy {

/// Exit codes: cli_exit (0 stored or a duplicate, 1 usage, 2 refused with the server's error
/// code on stderr, 3 no connection or no answer).
int cmd_publish(const cli& c, const config& cfg);

} // namespace sy
