#include "net/bridge/cli_token.hpp"

#include <iostream>

#include "net/auth/token_mint.hpp"
#include "schema/event.hpp"

namespace sy {

namespace {

// The verifier checks iss/aud when they are configured: a minted token must carry them or the
// node it was minted for refuses it.
token_grant with_claims_checked(token_grant g, const config& cfg) {
  g.issuer = cfg.auth_issuer;
  g.audience = cfg.auth_audience;
  return g;
}

bool valid_workspace(const std::string& id) {
  return valid_channel_name(id);
}

} // namespace

int cmd_token(const cli& c, const config& cfg) {
  if (c.sub.empty()) {
    std::cerr << "switchyard token: --sub NAME is required\n";
    return exit_usage;
  }
  for (const auto* list : {&c.channels, &c.publish})
    for (const auto& p : *list)
      if (!valid_channel_name(p) && !valid_channel_pattern(p)) {
        std::cerr << "switchyard token: invalid channel pattern \"" << p
                  << "\" (exact name, prefix* or *; characters A-Za-z0-9._:-)\n";
        return exit_usage;
      }
  for (const auto& w : c.workspaces)
    if (!valid_workspace(w)) {
      std::cerr << "switchyard token: invalid workspace id \"" << w << "\"\n";
      return exit_usage;
    }
  token_grant grant;
  grant.sub = c.sub;
  if (!c.channels.empty())
    grant.channels = c.channels;
  if (!c.publish.empty())
    grant.publish = c.publish;
  if (!c.workspaces.empty())
    grant.workspaces = c.workspaces;
  grant.admin = c.admin;
  if (!cfg.auth_development && c.channels.empty() && !c.admin && c.workspaces.empty())
    std::cerr << "switchyard token: auth.development is false, so this token may subscribe only "
                 "where a namespace allows it: add --channels PATTERN...\n";
  auto ttl = c.ttl.value_or(cfg.token_default_ttl_s);
  std::cout << mint_token(with_claims_checked(std::move(grant), cfg), ttl, cfg.jwt_secret).token
            << "\n";
  return exit_ok;
}

std::string cli_default_token(const config& cfg) {
  token_grant grant;
  grant.sub = "switchyard-cli";
  grant.channels = std::vector<std::string>{"*"};
  return mint_token(with_claims_checked(std::move(grant), cfg), cfg.token_default_ttl_s,
                    cfg.jwt_secret)
    .token;
}

} // namespace sy
