#pragma once
// An HS256 JWT minter written independently of the daemon's JWT code (OpenSSL HMAC + base64url),
// so a passing test shows that tokens from any standard JWT library are accepted.
#include <cstdint>
#include <string>

namespace sy::test {

std::string base64url(const std::string& bytes);

/// header.payload.signature with header {"alg":"HS256","typ":"JWT"}; `claims_json` is used verbatim.
std::string mint_jwt(const std::string& secret, const std::string& claims_json);

/// Same, with a caller-chosen header (e.g. {"alg":"none"}) and the HS256 signature or none.
std::string mint_jwt_with_header(const std::string& secret, const std::string& header_json,
                                 const std::string& claims_json, bool sign = true);

std::int64_t unix_now();

} // namespace sy::test
