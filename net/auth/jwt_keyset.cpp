// Loading JWT verification keys: shared secrets, PEM public keys and JWKS documents, each
// pinned to one algorithm (AUTH.md). Verification is in jwt.cpp.
#include "net/auth/jwt_internal.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace json = boost::json;

namespace sy {

namespace {

std::string check_key_type(EVP_PKEY* k, jwt_alg alg) {
  if (alg == jwt_alg::rs256) {
    if (!EVP_PKEY_is_a(k, "RSA"))
      return "RS256 needs an RSA public key";
    if (EVP_PKEY_get_bits(k) < 2048)
      return "RS256 keys must have at least 2048 bits";
    return {};
  }
  if (alg == jwt_alg::es256) {
    if (!EVP_PKEY_is_a(k, "EC"))
      return "ES256 needs an EC public key";
    char group[64] = {};
    std::size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len)
        || std::string_view(group, len) != "prime256v1")
      return "ES256 needs an EC key on P-256";
    return {};
  }
  return "HS algorithms take a secret, not a public key";
}

pkey_ptr read_pem(std::string_view pem) {
  auto read = [&](auto fn) -> EVP_PKEY* {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio)
      return nullptr;
    EVP_PKEY* k = fn(bio);
    BIO_free(bio);
    return k;
  };
  if (EVP_PKEY* k = read([](BIO* b) { return PEM_read_bio_PUBKEY(b, nullptr, nullptr, nullptr); }))
    return pkey_ptr(k);
  // Identity providers often publish a certificate rather than the bare key.
  return pkey_ptr(read([](BIO* b) -> EVP_PKEY* {
    X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    if (!cert)
      return nullptr;
    EVP_PKEY* k = X509_get_pubkey(cert);
    X509_free(cert);
    return k;
  }));
}

struct bn_free {
  void operator()(BIGNUM* b) const {
    BN_free(b);
  }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

bn_ptr bn_from(std::string_view bytes) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()), nullptr));
}

// Builds a public key from OSSL parameters (the OpenSSL 3 way; no deprecated RSA/EC_KEY calls).
pkey_ptr pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* k = nullptr;
  if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey_ptr(k);
}

pkey_ptr rsa_from_jwk(std::string_view n, std::string_view e) {
  auto bn_n = bn_from(n);
  auto bn_e = bn_from(e);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  pkey_ptr k;
  if (bld && bn_n && bn_e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get())
      && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()))
    k = pkey_from_params("RSA", bld);
  OSSL_PARAM_BLD_free(bld);
  return k;
}

pkey_ptr ec_p256_from_jwk(std::string_view x, std::string_view y) {
  if (x.size() != 32 || y.size() != 32)
    return nullptr;
  std::string point = "\x04"; // uncompressed SEC1 point
  point.append(x).append(y);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  pkey_ptr k;
  if (bld
      && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
      && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size()))
    k = pkey_from_params("EC", bld);
  OSSL_PARAM_BLD_free(bld);
  return k;
}

std::optional<std::string> jwk_field(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->value().is_string())
    return std::nullopt;
  return base64url_decode(it->value().get_string());
}

} // namespace

std::optional<jwt_alg> parse_jwt_alg(std::string_view name) {
  if (name == "HS256")
    return jwt_alg::hs256;
  if (name == "HS384")
    return jwt_alg::hs384;
  if (name == "HS512")
    return jwt_alg::hs512;
  if (name == "RS256")
    return jwt_alg::rs256;
  if (name == "ES256")
    return jwt_alg::es256;
  return std::nullopt;
}

const char* jwt_alg_name(jwt_alg a) {
  switch (a) {
    case jwt_alg::hs256:
      return "HS256";
    case jwt_alg::hs384:
      return "HS384";
    case jwt_alg::hs512:
      return "HS512";
    case jwt_alg::rs256:
      return "RS256";
    case jwt_alg::es256:
      return "ES256";
  }
  return "?";
}

jwt_keyset::jwt_keyset() = default;
jwt_keyset::~jwt_keyset() = default;
jwt_keyset::jwt_keyset(jwt_keyset&&) noexcept = default;
jwt_keyset& jwt_keyset::operator=(jwt_keyset&&) noexcept = default;

std::size_t jwt_keyset::size() const {
  return keys_.size();
}

// A kid must name one key: two keys under one kid would make the choice depend on load order.
static bool kid_taken(const std::vector<std::shared_ptr<const jwt_keyset::key>>& keys,
                      std::string_view kid) {
  if (kid.empty())
    return false;
  for (const auto& k : keys)
    if (k->kid == kid)
      return true;
  return false;
}

std::string jwt_keyset::add_secret(std::string kid, jwt_alg alg, std::string secret) {
  if (kid_taken(keys_, kid))
    return "duplicate kid";
  if (!is_hmac(alg))
    return std::string(jwt_alg_name(alg)) + " needs a public key, not a secret";
  if (secret.empty())
    return "empty secret";
  auto k = std::make_shared<key>();
  k->kid = std::move(kid);
  k->alg = alg;
  k->secret = std::move(secret);
  keys_.push_back(std::move(k));
  return {};
}

std::string jwt_keyset::add_pem(std::string kid, jwt_alg alg, std::string_view pem) {
  if (kid_taken(keys_, kid))
    return "duplicate kid";
  if (is_hmac(alg))
    return std::string(jwt_alg_name(alg)) + " takes a secret, not a public key";
  auto pk = read_pem(pem);
  if (!pk)
    return "not a PEM public key or certificate";
  if (auto err = check_key_type(pk.get(), alg); !err.empty())
    return err;
  auto k = std::make_shared<key>();
  k->kid = std::move(kid);
  k->alg = alg;
  k->pkey = std::move(pk);
  keys_.push_back(std::move(k));
  return {};
}

std::string jwt_keyset::add_jwks(std::string_view jwks_json, std::size_t* skipped) {
  boost::system::error_code ec;
  auto v = json::parse(jwks_json, ec);
  if (ec || !v.is_object())
    return "JWKS is not a JSON object";
  auto ks = v.get_object().find("keys");
  if (ks == v.get_object().end() || !ks->value().is_array())
    return "JWKS has no \"keys\" array";
  std::size_t n_skipped = 0;
  std::size_t index = 0;
  for (const auto& item : ks->value().get_array()) {
    auto where = "JWKS key " + std::to_string(index++);
    if (!item.is_object())
      return where + ": not an object";
    const auto& o = item.get_object();
    auto kty = text_field(o, "kty");
    auto alg_name = text_field(o, "alg");
    if (text_field(o, "use") == "enc") {
      ++n_skipped; // encryption keys never verify signatures
      continue;
    }
    if (alg_name.empty())
      alg_name = kty == "RSA" ? "RS256" : kty == "EC" ? "ES256" : "";
    auto alg = parse_jwt_alg(alg_name);
    if (!alg || is_hmac(*alg) || (kty != "RSA" && kty != "EC")) {
      ++n_skipped; // e.g. PS256, RS512, oct: not offered by this verifier
      continue;
    }
    pkey_ptr pk;
    if (kty == "RSA") {
      auto n = jwk_field(o, "n");
      auto e = jwk_field(o, "e");
      if (!n || !e)
        return where + ": RSA key needs base64url \"n\" and \"e\"";
      pk = rsa_from_jwk(*n, *e);
    } else {
      if (text_field(o, "crv") != "P-256") {
        ++n_skipped;
        continue;
      }
      auto x = jwk_field(o, "x");
      auto y = jwk_field(o, "y");
      if (!x || !y)
        return where + ": EC key needs base64url \"x\" and \"y\"";
      pk = ec_p256_from_jwk(*x, *y);
    }
    if (!pk)
      return where + ": invalid key material";
    if (auto err = check_key_type(pk.get(), *alg); !err.empty())
      return where + ": " + err;
    auto kid = text_field(o, "kid");
    if (kid_taken(keys_, kid))
      return where + ": duplicate kid";
    auto k = std::make_shared<key>();
    k->kid = std::move(kid);
    k->alg = *alg;
    k->pkey = std::move(pk);
    keys_.push_back(std::move(k));
  }
  if (skipped)
    *skipped = n_skipped;
  return {};
}


} // namespace sy
