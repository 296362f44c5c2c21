#pragma once
// HS256 JSON Web Tokens (RFC 7519) on OpenSSL's HMAC. Only HS256 is accepted here; the
// algorithm is pinned, so "alg":"none" and every other alg are refused.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sy {

struct jwt_claims {
  std::string sub;
  std::optional<std::int64_t> exp;
  std::optional<std::int64_t> nbf;
  bool admin = false;
  std::vector<std::string> publish; // channel patterns the holder may publish to
};

struct jwt_result {
  bool ok = false;
  jwt_claims claims;
  std::string error; // why the token was refused (never contains the token)
};

std::string base64url_encode(std::string_view in);
std::optional<std::string> base64url_decode(std::string_view in);

/// Verifies signature, `alg`, `exp` and `nbf` (with `leeway_s` seconds of clock skew).
jwt_result verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_s,
                        std::int64_t leeway_s);

/// Signs `payload_json` (a JSON object) with a {"alg":"HS256","typ":"JWT"} header.
std::string sign_hs256(std::string_view payload_json, std::string_view secret);

} // namespace sy
