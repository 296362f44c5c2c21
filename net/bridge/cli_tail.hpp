#pragma once
// `switchyard tail CHANNEL... [--since CURSOR] [--scopes JSON]`: a Fabric WebSocket client that
// prints every event as one JSON line (the stored event) and survives the node going away.
#include "config/config.hpp"
#include "net/bridge/cli_args.hpp"

namespace sy {

/// Runs until SIGINT/SIGTERM (0), a refusal by the node (2: upgrade refused, an error frame for
/// a topic, close 4001/4003), a usage error (1), or no connection at the start (3). Once
/// subscribed, a dropped connection is retried with backoff (100 ms doubling to 5 s) and every
/// channel is resumed after the last cursor printed, so no event is missed or printed twice;
/// when the node's history no longer covers the gap it says so on stderr (recovered:false).
int cmd_tail(const cli& c, const config& cfg);

} // namespace sy
