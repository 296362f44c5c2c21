#pragma once
// `switchyard token`: a JWT the configured node accepts, minted locally with its secret.
#include "config/config.hpp"
#include "net/bridge/cli_args.hpp"

namespace sy {

/// Prints the token on stdout (0), or a usage error on stderr (1).
int cmd_token(const cli& c, const config& cfg);

/// A token for `tail` when none was given: sub "switchyard-cli", every channel allowed
/// (channels ["*"]), valid auth.token_default_ttl_s, with the configured iss/aud.
std::string cli_default_token(const config& cfg);

} // namespace sy
