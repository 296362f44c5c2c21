// Verification key loading (net/auth/jwt_keyset.cpp): a JWKS document (auth.jwks_file), or with a
// leading '-' byte a PEM public key or certificate (auth.keys[].pem). The loaded keys then
// verify a token: key selection by kid must work on whatever was loaded, and a token whose
// signature no key made is never accepted.
#include <string>
#include <utility>

#include "fuzz_check.hpp"
#include "net/auth/jwt.hpp"

namespace {

// {"alg":"RS256","kid":"k1"} / {"alg":"ES256"} over {"sub":"fuzz"}, with a signature of
// 64 bytes of 0x01: right length for ES256, made by no key.
std::string token(std::string_view header_json) {
  std::string input = sy::base64url_encode(header_json) + "." + sy::base64url_encode("{\"sub\":\"fuzz\"}");
  return input + "." + sy::base64url_encode(std::string(64, '\x01'));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = sy::fuzz::as_text(data, size);
  sy::jwt_keyset keys;
  if (!text.empty() && text[0] == '-') {
    text.remove_prefix(1);
    std::string first_kid;
    for (auto [kid, alg] : {std::pair{"r", sy::jwt_alg::rs256}, std::pair{"e", sy::jwt_alg::es256}}) {
      auto before = keys.size();
      auto err = keys.add_pem(kid, alg, text);
      FUZZ_CHECK(keys.size() == before + (err.empty() ? 1 : 0));
      if (err.empty() && first_kid.empty())
        first_kid = kid;
    }
    // A kid names one key: loading the same key under a taken kid is refused.
    if (!first_kid.empty())
      FUZZ_CHECK(keys.add_pem(first_kid, sy::jwt_alg::es256, text) == "duplicate kid");
  } else {
    std::size_t skipped = 0;
    auto err = keys.add_jwks(text, &skipped);
    // Loading is deterministic: a second key set gets the same keys and the same answer.
    sy::jwt_keyset again;
    std::size_t skipped_again = 0;
    FUZZ_CHECK(again.add_jwks(text, &skipped_again) == err);
    FUZZ_CHECK(again.size() == keys.size() && (!err.empty() || skipped == skipped_again));
  }
  sy::jwt_policy policy;
  for (auto header : {R"({"alg":"RS256","kid":"k1"})", R"({"alg":"ES256"})",
                      R"({"alg":"RS256","kid":"r"})", R"({"alg":"ES256","kid":"e"})"}) {
    auto r = sy::verify_jwt(token(header), keys, policy, 1767225600);
    FUZZ_CHECK(!r.ok);
    FUZZ_CHECK(r.code == sy::jwt_error::unknown_kid || r.code == sy::jwt_error::alg_not_allowed
               || r.code == sy::jwt_error::bad_signature);
  }
  return 0;
}
