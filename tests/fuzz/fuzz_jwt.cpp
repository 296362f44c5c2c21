// JWT verification (net/auth/jwt.cpp verify_jwt) against a key set like a deployment's: the
// kid-less HS256 secret, an HS384 secret under a kid, an RS256 and an ES256 public key.
//
// Input: first byte = mode and policy bits, then
// - mode 0: a token, verified as it comes (header, key selection, signature);
// - mode 1: "<header JSON>\n<payload JSON>", signed here with the HMAC key the header names,
//   so the claims checks behind the signature are reached too.
// Invariants: a refusal has a code and a text, an accepted token has neither; a correctly signed
// token is never refused for its signature; an accepted token's claims pass the policy; and the
// {"op":"refreshed"} frame built from its exp (as the session does) is JSON.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fuzz_check.hpp"
#include "net/auth/jwt.hpp"
#include "schema/dialects/fabric/fabric.hpp"

namespace {

namespace json = boost::json;

constexpr std::string_view hs256_secret = "switchyard-dev-secret";
constexpr std::string_view hs384_secret = "fuzz-hs384-secret";
constexpr std::int64_t now_s = 1767225600; // 2026-01-01T00:00:00Z

// Public keys only (throwaway; the private halves were never kept).
constexpr std::string_view rsa_pem = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAt7+eBR++FV1WdlSxu+UG
tRa8eWWgSxSXOxNdiHVvtqvoUkEeVvR1dQTJippUv5icZ53YCyDJv26VavOgnVxL
kmCqYAX2uB6N2rt6S0B989Z2Q7SvFHBx7nSyzhS94Octg/T38XDLYMjh01u+8D6C
52gi2JdQLbZeNznD01WcrJBWPgDDvDCy29PQqYMii/NxZgpbgQCsqtE62Y5Wx9/8
Yhy81Lm9m4I50EXRL7PlVsm5UTIqdji9mM3jIAZ9EQDnKI6UJmF5rADK6iF0Mztv
W/9Y8xH3lrw/0lc1xeSnA8kLuNWgUczxliBQNXH2sBLlJBgiUcSGCyL5KsnP3RGo
XwIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view ec_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhynn349D7C1V8A9aP5bf6jU46P84
iFvFrbnF6MfVXPSlTBH6qjNFfrJU9MWTxTswlv9yVUrE5e3mbZtjZwqAuQ==
-----END PUBLIC KEY-----
)";

const sy::jwt_keyset& keys() {
  static const sy::jwt_keyset set = [] {
    sy::jwt_keyset k;
    FUZZ_CHECK(k.add_secret("", sy::jwt_alg::hs256, std::string(hs256_secret)).empty());
    FUZZ_CHECK(k.add_secret("h384", sy::jwt_alg::hs384, std::string(hs384_secret)).empty());
    FUZZ_CHECK(k.add_pem("rsa", sy::jwt_alg::rs256, rsa_pem).empty());
    FUZZ_CHECK(k.add_pem("ec", sy::jwt_alg::es256, ec_pem).empty());
    return k;
  }();
  return set;
}

/// The HMAC key a header selects, as verify_jwt would pick it; nullptr for none.
const EVP_MD* hmac_for(const json::value& header, std::string_view& secret) {
  if (!header.is_object())
    return nullptr;
  const auto& h = header.get_object();
  auto* alg = h.if_contains("alg");
  auto* kid = h.if_contains("kid");
  if (!alg || !alg->is_string() || h.contains("crit"))
    return nullptr;
  std::string_view a = alg->get_string();
  if (!kid && a == "HS256") {
    secret = hs256_secret;
    return EVP_sha256();
  }
  if (kid && kid->is_string() && kid->get_string() == "h384" && a == "HS384") {
    secret = hs384_secret;
    return EVP_sha384();
  }
  return nullptr;
}

std::string sign(const EVP_MD* md, std::string_view secret, std::string_view input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

void check_result(const sy::jwt_result& r, const sy::jwt_policy& policy) {
  if (!r.ok) {
    FUZZ_CHECK(r.code != sy::jwt_error::none && !r.error.empty());
    return;
  }
  FUZZ_CHECK(r.code == sy::jwt_error::none && r.error.empty());
  const auto& c = r.claims;
  // The time checks, in 128-bit arithmetic so that no claim value can overflow them.
  if (c.exp)
    FUZZ_CHECK(static_cast<__int128>(now_s) <= static_cast<__int128>(*c.exp) + policy.leeway_s);
  if (c.nbf)
    FUZZ_CHECK(static_cast<__int128>(now_s) + policy.leeway_s >= static_cast<__int128>(*c.nbf));
  if (!policy.issuer.empty())
    FUZZ_CHECK(c.iss == policy.issuer);
  // The session's answer to an accepted in-band refresh carries this token's expiry.
  boost::system::error_code ec;
  auto frame = json::parse(sy::fabric::encode_refreshed(c.exp), ec);
  FUZZ_CHECK(!ec && frame.is_object());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::uint8_t flags = data[0];
  auto text = sy::fuzz::as_text(data + 1, size - 1);
  sy::jwt_policy policy;
  policy.leeway_s = (flags >> 2) * 10; // 0..630 s, around the config's 0..600 range
  if (flags & 2)
    policy.issuer = "https://issuer.example";

  if ((flags & 1) == 0) {
    check_result(sy::verify_jwt(text, keys(), policy, now_s), policy);
    // Each part of a token is base64url: decoding what was encoded gives the bytes back.
    auto d = sy::base64url_decode(sy::base64url_encode(text));
    FUZZ_CHECK(d && *d == text);
    return 0;
  }
  auto header = sy::fuzz::split_first(text, '\n');
  std::string input = sy::base64url_encode(header) + "." + sy::base64url_encode(text);
  boost::system::error_code ec;
  auto hv = json::parse(header, ec);
  std::string_view secret;
  const EVP_MD* md = ec ? nullptr : hmac_for(hv, secret);
  std::string token = input + "." + sy::base64url_encode(md ? sign(md, secret, input) : "x");
  auto r = sy::verify_jwt(token, keys(), policy, now_s);
  if (md)
    FUZZ_CHECK(r.ok || (r.code != sy::jwt_error::bad_signature
                        && r.code != sy::jwt_error::alg_not_allowed
                        && r.code != sy::jwt_error::unknown_kid));
  check_result(r, policy);
  return 0;
}
