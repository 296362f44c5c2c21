#pragma once
// JSON Web Tokens (RFC 7519) verified with OpenSSL directly: HS256/384/512 (shared secrets),
// RS256 (RSA public keys) and ES256 (EC P-256 public keys), several keys selected by `kid`,
// keys from PEM text or a JWKS document. Every key pins the one algorithm it accepts, so
// "alg":"none", HS-with-a-public-key confusion and any other alg switch are refused.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sy {

enum class jwt_alg { hs256, hs384, hs512, rs256, es256 };

/// "HS256" -> hs256 ...; nullopt for anything else (including "none").
std::optional<jwt_alg> parse_jwt_alg(std::string_view name);
const char* jwt_alg_name(jwt_alg a);

/// Why a token was refused. One value per refusal class so callers and tests can tell them
/// apart without parsing text.
enum class jwt_error {
  none,
  malformed,       // not three base64url parts, header/payload not JSON objects, bad claim types
  alg_none,        // "alg":"none" (never accepted)
  alg_not_allowed, // header alg is not the alg pinned by the selected key (or no key takes it)
  unknown_kid,     // kid names no configured key
  bad_signature,
  expired,         // exp (+ leeway) has passed
  not_yet_valid,   // nbf (- leeway) is in the future
  wrong_issuer,
  wrong_audience,
};

const char* jwt_error_name(jwt_error e);

struct jwt_claims {
  std::string sub;
  std::optional<std::int64_t> exp;
  std::optional<std::int64_t> nbf;
  std::string iss;
  std::vector<std::string> aud; // "aud" as a string or an array
  bool admin = false;
  // Absent claim (nullopt) and an empty list differ: a present list is the holder's whole grant.
  std::optional<std::vector<std::string>> channels; // patterns the holder may subscribe to
  std::optional<std::vector<std::string>> publish;  // patterns the holder may publish to
  std::vector<std::string> workspaces;              // workspace ids the holder may use
};

struct jwt_result {
  bool ok = false;
  jwt_error code = jwt_error::none;
  jwt_claims claims;
  std::string error; // why the token was refused (fixed text: never the token or a key)
};

/// Claim checks beyond the signature. exp and nbf are always checked when present.
struct jwt_policy {
  std::string issuer;   // non-empty: "iss" must equal it
  std::string audience; // non-empty: "aud" (string or array) must contain it
  std::int64_t leeway_s = 30;
};

/// The verification keys. Each key has an optional kid and exactly one accepted alg.
/// Immutable after loading; share it across threads freely.
class jwt_keyset {
public:
  jwt_keyset();
  ~jwt_keyset();
  jwt_keyset(jwt_keyset&&) noexcept;
  jwt_keyset& operator=(jwt_keyset&&) noexcept;

  /// A shared secret for HS256/384/512. Empty string on success, else why not.
  std::string add_secret(std::string kid, jwt_alg alg, std::string secret);
  /// A PEM public key (SubjectPublicKeyInfo or PKCS#1 RSA) for RS256 (RSA, >= 2048 bits) or
  /// ES256 (EC P-256).
  std::string add_pem(std::string kid, jwt_alg alg, std::string_view pem);
  /// Every signing key of a JWKS document ({"keys":[...]}): RSA (n, e) and EC P-256 (x, y),
  /// base64url. `alg` defaults from `kty` (RSA -> RS256, EC -> ES256); keys with "use":"enc" and
  /// keys of algorithms not supported here are skipped (counted in `skipped`).
  std::string add_jwks(std::string_view jwks_json, std::size_t* skipped = nullptr);

  std::size_t size() const;

  struct key;

private:
  friend jwt_result verify_jwt(std::string_view, const jwt_keyset&, const jwt_policy&,
                               std::int64_t);
  std::vector<std::shared_ptr<const key>> keys_;
};

/// Verifies a compact JWS token. Key selection: a `kid` header picks that key (unknown ->
/// unknown_kid); without `kid`, the kid-less keys are candidates. The header alg must equal
/// the selected key's pinned alg, so an HS256 header is never checked against public-key bytes.
jwt_result verify_jwt(std::string_view token, const jwt_keyset& keys, const jwt_policy& policy,
                      std::int64_t now_s);

std::string base64url_encode(std::string_view in);
std::optional<std::string> base64url_decode(std::string_view in);

/// Verifies a HS256 token against one kid-less secret (kept for callers of the first API).
jwt_result verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_s,
                        std::int64_t leeway_s);

/// Signs `payload_json` (a JSON object) with a {"alg":"HS256","typ":"JWT"} header.
std::string sign_hs256(std::string_view payload_json, std::string_view secret);
/// Same for HS384/HS512 (and HS256), with an optional kid in the header.
std::string sign_hmac(jwt_alg alg, std::string_view payload_json, std::string_view secret,
                      std::string_view kid = {});

} // namespace sy
