#include "support/jwt_sign_pk.hpp"

#include "support/jwt_mint.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace sy::test {

struct pk_signer::key {
  EVP_PKEY* pkey = nullptr;
  ~key() { EVP_PKEY_free(pkey); }
};

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("jwt_sign_pk: ") + what + " failed");
}

std::string bn_param_b64(EVP_PKEY* k, const char* name, int pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
    fail("EVP_PKEY_get_bn_param");
  // JWK coordinates of EC keys are fixed-width (RFC 7518 section 6.2.1.2): keep leading zeros.
  std::string out(static_cast<std::size_t>(pad_to ? pad_to : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return base64url(out);
}

std::string der_to_jose(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig)
    fail("d2i_ECDSA_SIG");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

} // namespace

pk_signer::pk_signer(std::unique_ptr<key> k, std::string alg)
    : key_(std::move(k)), alg_(std::move(alg)) {}
pk_signer::pk_signer(pk_signer&&) noexcept = default;
pk_signer& pk_signer::operator=(pk_signer&&) noexcept = default;
pk_signer::~pk_signer() = default;

pk_signer pk_signer::rsa2048() {
  auto k = std::make_unique<key>();
  k->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!k->pkey)
    fail("RSA keygen");
  return pk_signer(std::move(k), "RS256");
}

pk_signer pk_signer::ec_p256() {
  auto k = std::make_unique<key>();
  k->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!k->pkey)
    fail("EC keygen");
  return pk_signer(std::move(k), "ES256");
}

std::string pk_signer::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || PEM_write_bio_PUBKEY(bio, key_->pkey) != 1)
    fail("PEM_write_bio_PUBKEY");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string pk_signer::public_jwk(const std::string& kid, bool with_alg) const {
  std::string jwk;
  if (alg_ == "RS256")
    jwk = R"({"kty":"RSA","use":"sig","kid":")" + kid + R"(","n":")"
          + bn_param_b64(key_->pkey, OSSL_PKEY_PARAM_RSA_N) + R"(","e":")"
          + bn_param_b64(key_->pkey, OSSL_PKEY_PARAM_RSA_E) + "\"";
  else
    jwk = R"({"kty":"EC","crv":"P-256","use":"sig","kid":")" + kid + R"(","x":")"
          + bn_param_b64(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32) + R"(","y":")"
          + bn_param_b64(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32) + "\"";
  if (with_alg)
    jwk += R"(,"alg":")" + alg_ + "\"";
  return jwk + "}";
}

std::string pk_signer::sign(const std::string& header_json, const std::string& claims_json) const {
  std::string input = base64url(header_json) + "." + base64url(claims_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (!ctx || EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) != 1
      || EVP_DigestSign(ctx, nullptr, &len, in, input.size()) != 1)
    fail("EVP_DigestSignInit");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size()) != 1)
    fail("EVP_DigestSign");
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  if (alg_ == "ES256")
    sig = der_to_jose(sig);
  return input + "." + base64url(sig);
}

std::string pk_signer::mint(const std::string& kid, const std::string& claims_json) const {
  std::string header = R"({"alg":")" + alg_ + R"(","typ":"JWT")";
  if (!kid.empty())
    header += R"(,"kid":")" + kid + "\"";
  return sign(header + "}", claims_json);
}

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sy-it-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    fail("mkdtemp");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec); // best effort: never throw from a destructor
}

std::string temp_dir::write(const std::string& name, const std::string& content) const {
  std::string full = path_ + "/" + name;
  std::ofstream f(full, std::ios::binary);
  f << content;
  f.close();
  if (!f)
    fail(("writing " + full).c_str());
  return full;
}

} // namespace sy::test
