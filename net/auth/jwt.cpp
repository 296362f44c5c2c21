// JWT verification and signing: base64url, signatures, claims (AUTH.md). Key loading is in
// jwt_keyset.cpp.
#include "net/auth/jwt.hpp"
#include "net/auth/jwt_internal.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace json = boost::json;

namespace sy {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const EVP_MD* digest_of(jwt_alg a) {
  switch (a) {
    case jwt_alg::hs384:
      return EVP_sha384();
    case jwt_alg::hs512:
      return EVP_sha512();
    default:
      return EVP_sha256();
  }
}

std::string hmac(jwt_alg alg, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(digest_of(alg), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// Checks that a public key fits the alg it is pinned to: RS256 needs RSA of at least 2048 bits


// ES256 signatures are raw r||s (RFC 7518 3.4); EVP_DigestVerify wants DER.
std::optional<std::string> es256_der(std::string_view raw) {
  if (raw.size() != 64)
    return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0)
    return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool verify_signature(const jwt_keyset::key& k, std::string_view signing_input,
                      std::string_view sig) {
  if (is_hmac(k.alg)) {
    auto expected = hmac(k.alg, k.secret, signing_input);
    return sig.size() == expected.size()
           && CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) == 0;
  }
  std::string der;
  if (k.alg == jwt_alg::es256) {
    auto d = es256_der(sig);
    if (!d)
      return false;
    der = std::move(*d);
    sig = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, k.pkey.get()) == 1
            && EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()),
                                sig.size(),
                                reinterpret_cast<const unsigned char*>(signing_input.data()),
                                signing_input.size())
                 == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// -- claims --------------------------------------------------------------------------------------

std::optional<std::int64_t> numeric_claim(const json::object& o, const char* name, bool& bad) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null())
    return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64())
    return v.get_int64();
  // Out-of-range values saturate: a uint64 above INT64_MAX is not a negative time, and a double
  // outside the int64 range (1e300, or 1e400 parsed as infinity) has no int64 value at all.
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  if (v.is_uint64()) // only values above INT64_MAX arrive as uint64
    return max;
  if (v.is_double()) {
    double d = v.get_double();
    if (std::isnan(d)) { // Boost.JSON 1.81 reads 0e400 as NaN
      bad = true;
      return std::nullopt;
    }
    if (d >= 9223372036854775808.0) // 2^63
      return max;
    if (d < -9223372036854775808.0)
      return min;
    return static_cast<std::int64_t>(d);
  }
  bad = true;
  return std::nullopt;
}

// a + b, clamped to the int64 range: exp/nbf near the limits must not overflow the leeway.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  return r;
}

// A string or an array of strings; `true` grants "*" (the first API accepted "publish":true).
std::optional<std::vector<std::string>> pattern_claim(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null())
    return std::nullopt;
  std::vector<std::string> out;
  const auto& v = it->value();
  if (v.is_string()) {
    out.emplace_back(v.get_string());
  } else if (v.is_array()) {
    for (const auto& p : v.get_array())
      if (p.is_string())
        out.emplace_back(p.get_string());
  } else if (v.is_bool() && v.get_bool()) {
    out.emplace_back("*");
  }
  return out;
}

jwt_result refuse(jwt_result& r, jwt_error code, const char* text) {
  r.ok = false;
  r.code = code;
  r.error = text;
  return r;
}

} // namespace

const char* jwt_error_name(jwt_error e) {
  switch (e) {
    case jwt_error::none:
      return "none";
    case jwt_error::malformed:
      return "malformed";
    case jwt_error::alg_none:
      return "alg_none";
    case jwt_error::alg_not_allowed:
      return "alg_not_allowed";
    case jwt_error::unknown_kid:
      return "unknown_kid";
    case jwt_error::bad_signature:
      return "bad_signature";
    case jwt_error::expired:
      return "expired";
    case jwt_error::not_yet_valid:
      return "not_yet_valid";
    case jwt_error::wrong_issuer:
      return "wrong_issuer";
    case jwt_error::wrong_audience:
      return "wrong_audience";
  }
  return "?";
}

// -- base64url -----------------------------------------------------------------------------------

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

// Strict RFC 4648 section 5 without padding, as JWS requires (RFC 7515 section 2): no '=',
// no length that leaves a lone 6-bit group, and the unused low bits of the last character
// zero. Each byte string then has exactly one accepted spelling, so a signature cannot be
// re-spelled (its last character changed) and still verify.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt; // '=' included
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) // bits is 0, 2 or 4 here
    return std::nullopt;
  return out;
}

// -- verification --------------------------------------------------------------------------------

jwt_result verify_jwt(std::string_view token, const jwt_keyset& keys, const jwt_policy& policy,
                      std::int64_t now_s) {
  jwt_result r;
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos
      || token.find('.', d2 + 1) != std::string_view::npos)
    return refuse(r, jwt_error::malformed, "malformed token");
  auto header = base64url_decode(token.substr(0, d1));
  auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !payload || !sig)
    return refuse(r, jwt_error::malformed, "malformed token");
  boost::system::error_code ec;
  auto hv = json::parse(*header, ec);
  if (ec || !hv.is_object())
    return refuse(r, jwt_error::malformed, "malformed token header");
  const auto& h = hv.get_object();
  auto alg_it = h.find("alg");
  if (alg_it == h.end() || !alg_it->value().is_string())
    return refuse(r, jwt_error::malformed, "token header has no alg");
  std::string_view alg_name = alg_it->value().get_string();
  if (alg_name == "none" || alg_name == "None" || alg_name == "NONE")
    return refuse(r, jwt_error::alg_none, "unsigned tokens (alg none) are refused");
  // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
  if (h.find("crit") != h.end())
    return refuse(r, jwt_error::malformed, "token header has unsupported crit extensions");
  auto alg = parse_jwt_alg(alg_name);

  // Key selection: the kid picks exactly one key; the key's pinned alg must equal the header's.
  const jwt_keyset::key* key = nullptr;
  if (auto kid_it = h.find("kid"); kid_it != h.end()) {
    if (!kid_it->value().is_string())
      return refuse(r, jwt_error::malformed, "token kid is not a string");
    std::string_view kid = kid_it->value().get_string();
    for (const auto& k : keys.keys_)
      if (!k->kid.empty() && k->kid == kid) {
        key = k.get();
        break;
      }
    if (!key)
      return refuse(r, jwt_error::unknown_kid, "token kid names no configured key");
    if (!alg || *alg != key->alg)
      return refuse(r, jwt_error::alg_not_allowed, "token alg is not the one pinned for its key");
  } else {
    for (const auto& k : keys.keys_)
      if (k->kid.empty() && alg && k->alg == *alg) {
        key = k.get();
        break;
      }
    if (!key)
      return refuse(r, jwt_error::alg_not_allowed, "token alg is not accepted without a kid");
  }
  if (!verify_signature(*key, token.substr(0, d2), *sig))
    return refuse(r, jwt_error::bad_signature, "bad token signature");

  auto pv = json::parse(*payload, ec);
  if (ec || !pv.is_object())
    return refuse(r, jwt_error::malformed, "malformed token payload");
  const auto& o = pv.get_object();
  bool bad = false;
  r.claims.exp = numeric_claim(o, "exp", bad);
  r.claims.nbf = numeric_claim(o, "nbf", bad);
  if (bad)
    return refuse(r, jwt_error::malformed, "exp/nbf must be numbers");
  if (r.claims.exp && now_s > saturating_add(*r.claims.exp, policy.leeway_s))
    return refuse(r, jwt_error::expired, "token expired");
  if (r.claims.nbf && saturating_add(now_s, policy.leeway_s) < *r.claims.nbf)
    return refuse(r, jwt_error::not_yet_valid, "token not yet valid");
  r.claims.iss = text_field(o, "iss");
  if (auto it = o.find("aud"); it != o.end()) {
    if (it->value().is_string())
      r.claims.aud.emplace_back(it->value().get_string());
    else if (it->value().is_array())
      for (const auto& a : it->value().get_array())
        if (a.is_string())
          r.claims.aud.emplace_back(a.get_string());
  }
  if (!policy.issuer.empty() && r.claims.iss != policy.issuer)
    return refuse(r, jwt_error::wrong_issuer, "token issuer is not accepted");
  if (!policy.audience.empty()
      && std::find(r.claims.aud.begin(), r.claims.aud.end(), policy.audience)
           == r.claims.aud.end())
    return refuse(r, jwt_error::wrong_audience, "token audience is not accepted");

  r.claims.sub = text_field(o, "sub");
  if (auto it = o.find("admin"); it != o.end() && it->value().is_bool())
    r.claims.admin = it->value().get_bool();
  r.claims.channels = pattern_claim(o, "channels");
  r.claims.publish = pattern_claim(o, "publish");
  if (auto ws = pattern_claim(o, "workspaces"))
    r.claims.workspaces = std::move(*ws);
  r.ok = true;
  r.code = jwt_error::none;
  return r;
}

jwt_result verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_s,
                        std::int64_t leeway_s) {
  jwt_keyset keys;
  if (auto err = keys.add_secret("", jwt_alg::hs256, std::string(secret)); !err.empty()) {
    jwt_result r;
    return refuse(r, jwt_error::bad_signature, "no secret configured");
  }
  jwt_policy policy;
  policy.leeway_s = leeway_s;
  return verify_jwt(token, keys, policy, now_s);
}

std::string sign_hmac(jwt_alg alg, std::string_view payload_json, std::string_view secret,
                      std::string_view kid) {
  json::object header{{"alg", jwt_alg_name(alg)}, {"typ", "JWT"}};
  if (!kid.empty())
    header["kid"] = kid;
  std::string signing_input = base64url_encode(json::serialize(header)) + "."
                              + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac(alg, secret, signing_input));
}

std::string sign_hs256(std::string_view payload_json, std::string_view secret) {
  // The exact header text is kept so the jwt.io example token reproduces byte for byte.
  std::string signing_input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "."
                              + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac(jwt_alg::hs256, secret, signing_input));
}

} // namespace sy
