#pragma once
// Tokens Switchyard issues itself (`switchyard token`, POST /v1/sessions): HS256 over the
// configured secret, with the claims its own verifier reads (AUTH.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sy {

/// What a minted token grants. An absent list (nullopt) and an empty one differ: a present
/// list is the holder's whole grant (AUTH.md).
struct token_grant {
  std::string sub;
  std::optional<std::vector<std::string>> channels;   // "channels": may subscribe to
  std::optional<std::vector<std::string>> publish;    // "publish": may publish to
  std::optional<std::vector<std::string>> workspaces; // "workspaces": may use
  bool admin = false;                                 // "admin": true when set
  std::string issuer;   // "iss" when not empty
  std::string audience; // "aud" when not empty
};

struct minted_token {
  std::string token;
  std::int64_t exp_s = 0; // unix seconds
};

/// Signs a token for `grant`, issued now and valid for `ttl_s` seconds, with the kid-less
/// HS256 `secret` (auth.jwt_secret). Claims in this order: sub, iat, channels, publish,
/// workspaces, admin, exp, iss, aud.
minted_token mint_token(const token_grant& grant, std::int64_t ttl_s, std::string_view secret);

} // namespace sy
