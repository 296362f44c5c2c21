#pragma once
// RS256 / ES256 JWT signing for black-box tests, written against OpenSSL EVP directly (not the
// daemon's JWT code), so a passing test shows that tokens from any standard JWT library verify.
// Keys are generated at test time; public halves are exported as PEM or as a JWK.
#include <memory>
#include <string>

namespace sy::test {

class pk_signer {
public:
  /// A fresh RSA-2048 key (RS256) or EC P-256 key (ES256).
  static pk_signer rsa2048();
  static pk_signer ec_p256();

  pk_signer(pk_signer&&) noexcept;
  pk_signer& operator=(pk_signer&&) noexcept;
  ~pk_signer();

  /// "RS256" or "ES256".
  const std::string& alg() const { return alg_; }
  /// -----BEGIN PUBLIC KEY----- (SubjectPublicKeyInfo).
  std::string public_pem() const;
  /// Public JWK with `kid`; `with_alg` false leaves "alg" out (the verifier infers it from kty).
  std::string public_jwk(const std::string& kid, bool with_alg = true) const;

  /// header.payload.signature over the verbatim JSON texts. ES256 signatures are converted
  /// from DER to the JOSE r||s form (RFC 7518 section 3.4).
  std::string sign(const std::string& header_json, const std::string& claims_json) const;
  /// sign() with the header {"alg":<alg>,"typ":"JWT"[,"kid":<kid>]}; empty kid: no kid.
  std::string mint(const std::string& kid, const std::string& claims_json) const;

private:
  struct key;
  pk_signer(std::unique_ptr<key> k, std::string alg);
  std::unique_ptr<key> key_;
  std::string alg_;
};

/// A private directory under $TMPDIR (or /tmp), removed with its files on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const { return path_; }
  /// Writes `content` to <path>/<name> and returns the full path (throws on failure).
  std::string write(const std::string& name, const std::string& content) const;

private:
  std::string path_;
};

} // namespace sy::test
