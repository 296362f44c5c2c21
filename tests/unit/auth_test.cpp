// JWT verification with RS256/ES256/HS* keys, kid selection, JWKS, one test per refusal class,
// claims -> principal, and the may_* authorization tables. Keys are generated at test time.
#include <catch2/catch.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <unistd.h>

#include "config/config.hpp"
#include "net/auth/auth.hpp"
#include "net/auth/jwt.hpp"
#include "schema/event.hpp"

using namespace sy;

namespace {

constexpr std::int64_t now = 1'700'000'000;

struct pkey_free {
  void operator()(EVP_PKEY* k) const {
    EVP_PKEY_free(k);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

pkey_ptr rsa_key() {
  return pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
}

pkey_ptr ec_key() {
  return pkey_ptr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// RSA generation takes a moment: share a few keys across the test cases.
EVP_PKEY* rsa_a() {
  static pkey_ptr k = rsa_key();
  return k.get();
}
EVP_PKEY* rsa_b() {
  static pkey_ptr k = rsa_key();
  return k.get();
}
EVP_PKEY* ec_a() {
  static pkey_ptr k = ec_key();
  return k.get();
}
EVP_PKEY* ec_b() {
  static pkey_ptr k = ec_key();
  return k.get();
}

std::string public_pem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, k);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::string digest_sign(EVP_PKEY* k, std::string_view input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, k);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                 input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// JOSE ES256 signatures are r||s, 32 bytes each, not DER.
std::string der_to_jose(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return out;
}

std::string header_json(const std::string& alg, const std::string& kid) {
  std::string h = R"({"alg":")" + alg + R"(","typ":"JWT")";
  if (!kid.empty())
    h += R"(,"kid":")" + kid + "\"";
  return h + "}";
}

std::string sign_pk(EVP_PKEY* k, const std::string& alg, const std::string& kid,
                    const std::string& payload) {
  auto input = base64url_encode(header_json(alg, kid)) + "." + base64url_encode(payload);
  auto sig = digest_sign(k, input);
  if (alg == "ES256")
    sig = der_to_jose(sig);
  return input + "." + base64url_encode(sig);
}

std::string bn_param(EVP_PKEY* k, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, name, &bn);
  std::string out(pad ? pad : BN_num_bytes(bn), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return base64url_encode(out);
}

std::string jwk_rsa(EVP_PKEY* k, const std::string& kid) {
  return R"({"kty":"RSA","use":"sig","alg":"RS256","kid":")" + kid + R"(","n":")"
         + bn_param(k, OSSL_PKEY_PARAM_RSA_N) + R"(","e":")" + bn_param(k, OSSL_PKEY_PARAM_RSA_E)
         + "\"}";
}

std::string jwk_ec(EVP_PKEY* k, const std::string& kid) {
  // no "alg": it defaults from kty/crv
  return R"({"kty":"EC","crv":"P-256","kid":")" + kid + R"(","x":")"
         + bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, 32) + R"(","y":")"
         + bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32) + "\"}";
}

std::string payload(std::int64_t exp = now + 3600, const std::string& extra = "") {
  std::string p = R"({"sub":"alice","exp":)" + std::to_string(exp);
  if (!extra.empty())
    p += "," + extra;
  return p + "}";
}

// The usual keyset: the kid-less HS256 secret plus one key per algorithm under a kid.
jwt_keyset keyset() {
  jwt_keyset ks;
  REQUIRE(ks.add_secret("", jwt_alg::hs256, "default-secret").empty());
  REQUIRE(ks.add_secret("h384", jwt_alg::hs384, "secret-384").empty());
  REQUIRE(ks.add_secret("h512", jwt_alg::hs512, "secret-512").empty());
  REQUIRE(ks.add_pem("rsa-a", jwt_alg::rs256, public_pem(rsa_a())).empty());
  REQUIRE(ks.add_pem("rsa-b", jwt_alg::rs256, public_pem(rsa_b())).empty());
  REQUIRE(ks.add_pem("ec-a", jwt_alg::es256, public_pem(ec_a())).empty());
  return ks;
}

jwt_error refusal(const std::string& token, const jwt_keyset& ks, const jwt_policy& pol = {}) {
  auto r = verify_jwt(token, ks, pol, now);
  INFO("error text: " << r.error);
  CHECK_FALSE(r.ok);
  if (!token.empty())
    CHECK(r.error.find(token) == std::string::npos); // never echo the token
  return r.code;
}

std::string temp_file(const std::string& name, const std::string& text) {
  auto path = "/tmp/sy-auth-test-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

} // namespace

// -- acceptance -------------------------------------------------------------------------------------

TEST_CASE("HS256, HS384 and HS512 tokens verify against their keys", "[auth][jwt]") {
  auto ks = keyset();
  auto r = verify_jwt(sign_hs256(payload(), "default-secret"), ks, {}, now);
  CHECK(r.ok);
  CHECK(r.claims.sub == "alice");
  CHECK(verify_jwt(sign_hmac(jwt_alg::hs384, payload(), "secret-384", "h384"), ks, {}, now).ok);
  CHECK(verify_jwt(sign_hmac(jwt_alg::hs512, payload(), "secret-512", "h512"), ks, {}, now).ok);
  // sign_hmac with HS256 and no kid is the same token sign_hs256 makes, semantically
  CHECK(verify_jwt(sign_hmac(jwt_alg::hs256, payload(), "default-secret"), ks, {}, now).ok);
}

TEST_CASE("RS256 and ES256 tokens verify and kid selects among several keys", "[auth][jwt]") {
  auto ks = keyset();
  CHECK(verify_jwt(sign_pk(rsa_a(), "RS256", "rsa-a", payload()), ks, {}, now).ok);
  CHECK(verify_jwt(sign_pk(rsa_b(), "RS256", "rsa-b", payload()), ks, {}, now).ok);
  CHECK(verify_jwt(sign_pk(ec_a(), "ES256", "ec-a", payload()), ks, {}, now).ok);
  // the kid decides: key b's token under key a's kid does not verify
  CHECK(refusal(sign_pk(rsa_b(), "RS256", "rsa-a", payload()), ks) == jwt_error::bad_signature);
  // a kid-less RS256 key serves tokens without a kid
  jwt_keyset single;
  REQUIRE(single.add_pem("", jwt_alg::rs256, public_pem(rsa_a())).empty());
  CHECK(verify_jwt(sign_pk(rsa_a(), "RS256", "", payload()), single, {}, now).ok);
  CHECK(ks.size() == 6);
}

TEST_CASE("JWKS with RSA and EC keys loads from a file through the config", "[auth][jwt]") {
  auto jwks = R"({"keys":[)" + jwk_rsa(rsa_a(), "kc-rsa") + "," + jwk_ec(ec_a(), "kc-ec")
              + R"(,{"kty":"RSA","use":"enc","kid":"enc-1","n":"AQAB","e":"AQAB"})"
              + R"(,{"kty":"RSA","alg":"PS256","kid":"ps","n":"AQAB","e":"AQAB"}]})";
  auto path = temp_file("jwks.json", jwks);
  config c;
  c.jwt_secret = "s";
  c.jwks_file = path;
  std::string err;
  auto auth = make_authenticator(c, &err);
  CHECK(err.empty());
  CHECK(auth_config_error(c).empty());
  auto t = wall_clock_ms() / 1000;
  CHECK(auth->verify_token(sign_pk(rsa_a(), "RS256", "kc-rsa", payload(t + 60))).ok);
  CHECK(auth->verify_token(sign_pk(ec_a(), "ES256", "kc-ec", payload(t + 60))).ok);
  CHECK_FALSE(auth->verify_token(sign_pk(ec_b(), "ES256", "kc-ec", payload(t + 60))).ok);
  CHECK(auth->verify_token(sign_hs256(payload(t + 60), "s")).ok); // jwt_secret still works
  std::size_t skipped = 0;
  jwt_keyset ks;
  CHECK(ks.add_jwks(jwks, &skipped).empty());
  CHECK(ks.size() == 2);
  CHECK(skipped == 2); // the encryption key and the PS256 key
  std::remove(path.c_str());

  c.jwks_file = "/nonexistent/jwks.json";
  CHECK_FALSE(auth_config_error(c).empty());
  CHECK_FALSE(validate_config(c).empty());
  CHECK_FALSE(jwt_keyset().add_jwks(R"({"keys":[{"kty":"RSA","kid":"x"}]})").empty());
  CHECK_FALSE(jwt_keyset().add_jwks("[]").empty());
}

TEST_CASE("auth.keys from config: secrets, pem and pem_file", "[auth][jwt]") {
  auto pem_path = temp_file("ec.pem", public_pem(ec_a()));
  config c;
  c.jwt_secret = "s";
  REQUIRE(apply_setting(c, "auth.keys",
                        R"([{"kid":"h5","alg":"HS512","secret":"hidden-512"},)"
                        R"({"kid":"ec","alg":"ES256","pem_file":")" + pem_path + R"("}])")
            .empty());
  c.auth_keys.push_back({"rsa", "RS256", "", "", public_pem(rsa_a())});
  CHECK(validate_config(c).empty());
  CHECK(auth_config_error(c).empty());
  auto auth = make_authenticator(c);
  auto t = wall_clock_ms() / 1000;
  CHECK(auth->verify_token(sign_hmac(jwt_alg::hs512, payload(t + 60), "hidden-512", "h5")).ok);
  CHECK(auth->verify_token(sign_pk(ec_a(), "ES256", "ec", payload(t + 60))).ok);
  CHECK(auth->verify_token(sign_pk(rsa_a(), "RS256", "rsa", payload(t + 60))).ok);
  // check-config never prints a secret
  auto described = describe_config(c);
  CHECK(described.find("hidden-512") == std::string::npos);
  CHECK(described.find("\"kid\":\"h5\"") != std::string::npos);
  std::remove(pem_path.c_str());

  config bad;
  bad.auth_keys = {{"k", "RS256", "", "", "-----BEGIN PUBLIC KEY-----\nnope\n"}};
  CHECK_FALSE(auth_config_error(bad).empty());
  bad.auth_keys = {{"k", "RS256", "a-secret", "", ""}}; // RS256 needs a public key
  CHECK_FALSE(validate_config(bad).empty());
  bad.auth_keys = {{"k", "HS256", "", "", public_pem(rsa_a())}};
  CHECK_FALSE(validate_config(bad).empty());
  bad.auth_keys = {{"k", "none", "x", "", ""}};
  CHECK_FALSE(validate_config(bad).empty());
  bad.auth_keys = {{"k", "HS256", "x", "", ""}, {"k", "HS384", "y", "", ""}};
  CHECK_FALSE(validate_config(bad).empty()); // duplicate kid
  bad.auth_keys = {{"k", "ES256", "", "", public_pem(rsa_a())}}; // wrong key type for alg
  CHECK_FALSE(auth_config_error(bad).empty());
  CHECK_FALSE(apply_setting(bad, "auth.keys", R"({"kid":"x"})").empty());
}

TEST_CASE("leeway: exp and nbf tolerate the configured clock skew", "[auth][jwt]") {
  auto ks = keyset();
  jwt_policy pol;
  pol.leeway_s = 30;
  CHECK(verify_jwt(sign_hs256(payload(now - 20), "default-secret"), ks, pol, now).ok);
  CHECK_FALSE(verify_jwt(sign_hs256(payload(now - 40), "default-secret"), ks, pol, now).ok);
  auto nbf = sign_hs256(R"({"sub":"a","nbf":)" + std::to_string(now + 20) + "}", "default-secret");
  CHECK(verify_jwt(nbf, ks, pol, now).ok);
  pol.leeway_s = 0;
  CHECK_FALSE(verify_jwt(nbf, ks, pol, now).ok);
  CHECK_FALSE(verify_jwt(sign_hs256(payload(now - 1), "default-secret"), ks, pol, now).ok);
}

// -- one refusal class each -------------------------------------------------------------------------

TEST_CASE("refused: alg none", "[auth][jwt]") {
  auto ks = keyset();
  for (std::string kid : {"", "rsa-a"}) {
    auto t = base64url_encode(header_json("none", kid)) + "." + base64url_encode(payload()) + ".";
    CHECK(refusal(t, ks) == jwt_error::alg_none);
  }
}

TEST_CASE("refused: HS256 signed with an RSA public key's PEM (alg confusion)", "[auth][jwt]") {
  auto ks = keyset();
  auto pem = public_pem(rsa_a());
  // under the RSA key's kid: the key is pinned to RS256, the HS256 header is refused
  CHECK(refusal(sign_hmac(jwt_alg::hs256, payload(), pem, "rsa-a"), ks)
        == jwt_error::alg_not_allowed);
  // without a kid: only the kid-less HS256 secret is tried, never the PEM bytes
  CHECK(refusal(sign_hs256(payload(), pem), ks) == jwt_error::bad_signature);
  // a keyset of only a kid-less RSA key takes no HS token at all
  jwt_keyset only_rsa;
  REQUIRE(only_rsa.add_pem("", jwt_alg::rs256, pem).empty());
  CHECK(refusal(sign_hs256(payload(), pem), only_rsa) == jwt_error::alg_not_allowed);
  // and a public key is never accepted as an HMAC secret holder
  CHECK_FALSE(jwt_keyset().add_pem("x", jwt_alg::hs256, pem).empty());
}

TEST_CASE("refused: unknown kid", "[auth][jwt]") {
  auto ks = keyset();
  CHECK(refusal(sign_pk(rsa_a(), "RS256", "nobody", payload()), ks) == jwt_error::unknown_kid);
  CHECK(refusal(sign_hmac(jwt_alg::hs256, payload(), "default-secret", "nobody"), ks)
        == jwt_error::unknown_kid);
}

TEST_CASE("refused: bad signature (HS, RS and ES)", "[auth][jwt]") {
  auto ks = keyset();
  CHECK(refusal(sign_hs256(payload(), "wrong"), ks) == jwt_error::bad_signature);
  CHECK(refusal(sign_pk(rsa_b(), "RS256", "rsa-a", payload()), ks) == jwt_error::bad_signature);
  CHECK(refusal(sign_pk(ec_b(), "ES256", "ec-a", payload()), ks) == jwt_error::bad_signature);
  // a tampered payload under a genuine signature
  auto good = sign_pk(ec_a(), "ES256", "ec-a", payload());
  auto d1 = good.find('.');
  auto d2 = good.rfind('.');
  auto forged = good.substr(0, d1 + 1) + base64url_encode(payload(now + 3600, R"("admin":true)"))
                + good.substr(d2);
  CHECK(refusal(forged, ks) == jwt_error::bad_signature);
  // an ES256 signature in DER (not JOSE r||s) is not accepted
  auto input = good.substr(0, d2);
  CHECK(refusal(input + "." + base64url_encode(digest_sign(ec_a(), input)), ks)
        == jwt_error::bad_signature);
}

TEST_CASE("refused: malformed tokens", "[auth][jwt]") {
  auto ks = keyset();
  auto sig = "." + base64url_encode("x");
  for (std::string t :
       {std::string(""), std::string("a.b"), std::string("a.b.c.d"), std::string("!!.??.**"),
        base64url_encode("not json") + "." + base64url_encode(payload()) + sig,
        base64url_encode(R"({"typ":"JWT"})") + "." + base64url_encode(payload()) + sig,
        base64url_encode(R"({"alg":256})") + "." + base64url_encode(payload()) + sig,
        base64url_encode(R"({"alg":"HS256","kid":7})") + "." + base64url_encode(payload()) + sig,
        base64url_encode(R"({"alg":"HS256","crit":["b64"]})") + "." + base64url_encode(payload())
          + sig})
    CHECK(refusal(t, ks) == jwt_error::malformed);
  // trailing garbage after base64 padding
  auto good = sign_hs256(payload(), "default-secret");
  CHECK(refusal(good + "=x", ks) == jwt_error::malformed);
  // signed correctly, but the payload is not an object / exp is not a number
  CHECK(refusal(sign_hs256("[1]", "default-secret"), ks) == jwt_error::malformed);
  CHECK(refusal(sign_hs256(R"({"exp":"soon"})", "default-secret"), ks) == jwt_error::malformed);
}

// Another spelling of the same bytes: the last character keeps its leading bits and sets an
// unused low bit (every signature size here leaves 2 or 4 of them).
std::string tweak_last_char(const std::string& token) {
  static const std::string alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  auto v = alphabet.find(token.back());
  REQUIRE(v != std::string::npos);
  REQUIRE((v & 1) == 0); // canonical: the unused bits are zero
  return token.substr(0, token.size() - 1) + alphabet[v | 1];
}

TEST_CASE("refused: signatures and segments with another base64url spelling", "[auth][jwt]") {
  auto ks = keyset();
  const std::pair<const char*, std::string> tokens[] = {
    {"HS256", sign_hs256(payload(), "default-secret")},
    {"HS512", sign_hmac(jwt_alg::hs512, payload(), "secret-512", "h512")},
    {"RS256", sign_pk(rsa_a(), "RS256", "rsa-a", payload())},
    {"ES256", sign_pk(ec_a(), "ES256", "ec-a", payload())},
  };
  for (const auto& [alg, good] : tokens) {
    INFO(alg);
    REQUIRE(verify_jwt(good, ks, {}, now).ok);
    // the same signature bytes, spelled with a non-zero unused bit in the last character
    CHECK(refusal(tweak_last_char(good), ks) == jwt_error::malformed);
    // ... or with padding
    CHECK(refusal(good + "=", ks) == jwt_error::malformed);
    CHECK(refusal(good + "==", ks) == jwt_error::malformed);
    // padding inside the header or payload segment
    auto d1 = good.find('.');
    auto d2 = good.rfind('.');
    CHECK(refusal(good.substr(0, d1) + "=" + good.substr(d1), ks) == jwt_error::malformed);
    CHECK(refusal(good.substr(0, d2) + "=" + good.substr(d2), ks) == jwt_error::malformed);
  }
}

TEST_CASE("JWKS key material must be canonical base64url", "[auth][jwt]") {
  auto rsa = jwk_rsa(rsa_a(), "r");
  auto n_at = rsa.find(R"("n":")") + 5;
  auto n_end = rsa.find('"', n_at);
  auto n = rsa.substr(n_at, n_end - n_at);
  jwt_keyset ok;
  CHECK(ok.add_jwks(R"({"keys":[)" + rsa + "]}").empty());
  auto tweaked = rsa.substr(0, n_at) + tweak_last_char(n) + rsa.substr(n_end);
  CHECK_FALSE(jwt_keyset().add_jwks(R"({"keys":[)" + tweaked + "]}").empty());
  auto padded = rsa.substr(0, n_end) + "=" + rsa.substr(n_end);
  CHECK_FALSE(jwt_keyset().add_jwks(R"({"keys":[)" + padded + "]}").empty());
  auto ec = jwk_ec(ec_a(), "e");
  auto x_at = ec.find(R"("x":")") + 5;
  auto x_end = ec.find('"', x_at);
  auto x = ec.substr(x_at, x_end - x_at);
  CHECK(jwt_keyset().add_jwks(R"({"keys":[)" + ec + "]}").empty());
  auto ec_tweaked = ec.substr(0, x_at) + tweak_last_char(x) + ec.substr(x_end);
  CHECK_FALSE(jwt_keyset().add_jwks(R"({"keys":[)" + ec_tweaked + "]}").empty());
}

TEST_CASE("refused: expired", "[auth][jwt]") {
  CHECK(refusal(sign_pk(rsa_a(), "RS256", "rsa-a", payload(now - 3600)), keyset())
        == jwt_error::expired);
}

TEST_CASE("refused: nbf in the future", "[auth][jwt]") {
  auto t = sign_hs256(R"({"sub":"a","nbf":)" + std::to_string(now + 3600) + "}", "default-secret");
  CHECK(refusal(t, keyset()) == jwt_error::not_yet_valid);
}

TEST_CASE("refused: wrong issuer", "[auth][jwt]") {
  auto ks = keyset();
  jwt_policy pol;
  pol.issuer = "https://id.example/realms/a";
  CHECK(refusal(sign_hs256(payload(now + 60, R"("iss":"https://evil.example")"), "default-secret"),
                ks, pol)
        == jwt_error::wrong_issuer);
  CHECK(refusal(sign_hs256(payload(), "default-secret"), ks, pol) == jwt_error::wrong_issuer);
  CHECK(verify_jwt(sign_hs256(payload(now + 60, R"("iss":"https://id.example/realms/a")"),
                              "default-secret"),
                   ks, pol, now)
          .ok);
}

TEST_CASE("refused: wrong audience (string or array)", "[auth][jwt]") {
  auto ks = keyset();
  jwt_policy pol;
  pol.audience = "switchyard";
  auto tok = [](const std::string& aud) {
    return sign_hs256(payload(now + 60, aud), "default-secret");
  };
  CHECK(refusal(tok(R"("aud":"other")"), ks, pol) == jwt_error::wrong_audience);
  CHECK(refusal(tok(R"("aud":["a","b"])"), ks, pol) == jwt_error::wrong_audience);
  CHECK(refusal(tok(""), ks, pol) == jwt_error::wrong_audience);
  CHECK(verify_jwt(tok(R"("aud":"switchyard")"), ks, pol, now).ok);
  CHECK(verify_jwt(tok(R"("aud":["a","switchyard"])"), ks, pol, now).ok);
}

TEST_CASE("refused: alg that differs from the key's pinned alg", "[auth][jwt]") {
  auto ks = keyset();
  // HS256 token under the HS512 key's kid, with that key's secret
  CHECK(refusal(sign_hmac(jwt_alg::hs256, payload(), "secret-512", "h512"), ks)
        == jwt_error::alg_not_allowed);
  // an RS256 signature presented for the ES256 key
  CHECK(refusal(sign_pk(rsa_a(), "RS256", "ec-a", payload()), ks) == jwt_error::alg_not_allowed);
  // ES256 header on the RSA key
  CHECK(refusal(sign_pk(ec_a(), "ES256", "rsa-a", payload()), ks) == jwt_error::alg_not_allowed);
  // no kid, and no kid-less key takes HS512
  CHECK(refusal(sign_hmac(jwt_alg::hs512, payload(), "default-secret"), ks)
        == jwt_error::alg_not_allowed);
  // algorithms not offered at all
  auto input = base64url_encode(header_json("PS256", "rsa-a")) + "." + base64url_encode(payload());
  CHECK(refusal(input + "." + base64url_encode("sig"), ks) == jwt_error::alg_not_allowed);
}

// -- claims and authorization -------------------------------------------------------------------------

TEST_CASE("claims become the principal", "[auth]") {
  config c;
  c.jwt_secret = "s";
  auto auth = make_authenticator(c);
  auto exp = wall_clock_ms() / 1000 + 600;
  auto r = auth->verify_token(sign_hs256(
    R"({"sub":"carol","exp":)" + std::to_string(exp)
      + R"(,"channels":["orders.*","news"],"publish":"orders.eu","workspaces":["w1","w2"],"admin":false})",
    "s"));
  REQUIRE(r.ok);
  CHECK(r.who.sub == "carol");
  CHECK_FALSE(r.who.admin);
  CHECK_FALSE(r.who.api_key);
  REQUIRE(r.who.channels);
  CHECK(*r.who.channels == std::vector<std::string>{"orders.*", "news"});
  REQUIRE(r.who.publish);
  CHECK(*r.who.publish == std::vector<std::string>{"orders.eu"});
  CHECK(r.who.workspaces == std::vector<std::string>{"w1", "w2"});
  REQUIRE(r.who.exp);
  CHECK(*r.who.exp == exp);

  auto plain = auth->verify_token(sign_hs256(R"({"sub":"dave"})", "s"));
  REQUIRE(plain.ok);
  CHECK_FALSE(plain.who.channels); // absent claim, not an empty grant
  CHECK_FALSE(plain.who.publish);
  CHECK_FALSE(plain.who.exp);
  auto admin = auth->verify_token(sign_hs256(R"({"sub":"root","admin":true})", "s"));
  CHECK(admin.who.admin);
  // errors never carry the token
  auto bad = sign_hs256(R"({"sub":"x"})", "wrong");
  auto e = auth->verify_credential(bad);
  CHECK_FALSE(e.ok);
  CHECK(e.error.find(bad) == std::string::npos);
  CHECK(e.error.find("wrong") == std::string::npos);
}

TEST_CASE("may_subscribe / may_publish: claims, namespace defaults, development mode", "[auth]") {
  config dev; // auth.development defaults to true
  REQUIRE(apply_setting(dev, "namespaces",
                        R"([{"prefix":"public.","subscribe_default":"allow"},)"
                        R"({"prefix":"secret.","subscribe_default":"deny","publish_default":"deny"},)"
                        R"({"prefix":"ro.","publish_default":"deny"},)"
                        R"({"prefix":"open.","subscribe_default":"allow","publish_default":"allow"}])")
            .empty());
  CHECK(validate_config(dev).empty());
  config prod = dev;
  prod.auth_development = false;

  principal none; // a token without channels/publish claims
  principal scoped;
  scoped.channels = std::vector<std::string>{"orders.*", "news"};
  scoped.publish = std::vector<std::string>{"orders.eu"};
  principal empty_grant;
  empty_grant.channels = std::vector<std::string>{};
  principal admin;
  admin.admin = true;
  principal key;
  key.api_key = true;

  struct row {
    const char* who_name;
    const principal* who;
    const char* channel;
    bool dev_sub, prod_sub, dev_pub, prod_pub;
  };
  const row table[] = {
    // no claim: the namespace default, else the global default (subscribe: dev allow / prod
    // deny; publish: always deny)
    {"none", &none, "orders.eu", true, false, false, false},
    {"none", &none, "public.x", true, true, false, false},
    {"none", &none, "secret.x", false, false, false, false},
    {"none", &none, "ro.x", true, false, false, false},
    {"none", &none, "open.x", true, true, true, true},
    // a claim that matches decides; a present claim that doesn't match denies (except where the
    // namespace has an explicit default)
    {"scoped", &scoped, "orders.eu", true, true, true, true},
    {"scoped", &scoped, "orders.us", true, true, false, false},
    {"scoped", &scoped, "news", true, true, false, false},
    {"scoped", &scoped, "newsroom", false, false, false, false},
    {"scoped", &scoped, "public.x", true, true, false, false},
    {"scoped", &scoped, "secret.x", false, false, false, false},
    {"empty", &empty_grant, "orders.eu", false, false, false, false},
    // admin and the API key may do everything, even in deny namespaces
    {"admin", &admin, "secret.x", true, true, true, true},
    {"key", &key, "secret.x", true, true, true, true},
    {"key", &key, "anything", true, true, true, true},
  };
  for (const auto& r : table) {
    INFO(r.who_name << " on " << r.channel);
    CHECK(may_subscribe(*r.who, r.channel, dev) == r.dev_sub);
    CHECK(may_subscribe(*r.who, r.channel, prod) == r.prod_sub);
    CHECK(may_publish(*r.who, r.channel, dev) == r.dev_pub);
    CHECK(may_publish(*r.who, r.channel, prod) == r.prod_pub);
  }
  // a claim matching inside a deny namespace still grants: the explicit claim decides
  principal into_secret;
  into_secret.channels = std::vector<std::string>{"secret.*"};
  CHECK(may_subscribe(into_secret, "secret.x", prod));

  CHECK_FALSE(apply_setting(dev, "namespaces", R"([{"prefix":"a.","subscribe_default":1}])")
                .empty());
  dev.namespaces = {{"a.", 5, 0, "maybe", ""}};
  CHECK_FALSE(validate_config(dev).empty());
}

TEST_CASE("patterns and workspaces", "[auth]") {
  CHECK(pattern_matches("*", "anything"));
  CHECK(pattern_matches("postgres:*", "postgres:users"));
  CHECK_FALSE(pattern_matches("postgres:*", "mongo:users"));
  CHECK(pattern_matches("orders*", "orders"));
  CHECK(pattern_matches("exact", "exact"));
  CHECK_FALSE(pattern_matches("exact", "exactly"));
  CHECK_FALSE(pattern_matches("", "x"));

  principal p;
  p.workspaces = {"w1"};
  CHECK(may_use_workspace(p, "w1"));
  CHECK_FALSE(may_use_workspace(p, "w2"));
  CHECK_FALSE(may_use_workspace(principal{}, "w1"));
  principal admin;
  admin.admin = true;
  CHECK(may_use_workspace(admin, "w2"));
  principal key;
  key.api_key = true;
  CHECK(may_use_workspace(key, "w2"));
}

TEST_CASE("reserved channels: only the router publishes, only admins read the audit detail",
          "[auth]") {
  config dev;
  // A namespace cannot open them either.
  config open = dev;
  REQUIRE(apply_setting(open, "namespaces",
                        R"([{"prefix":"log.","subscribe_default":"allow",)"
                        R"("publish_default":"allow"},)"
                        R"({"prefix":"console.","subscribe_default":"allow",)"
                        R"("publish_default":"allow"}])")
            .empty());
  principal none;
  principal everything;
  everything.channels = std::vector<std::string>{"*"};
  everything.publish = std::vector<std::string>{"*"};
  principal named;
  named.channels = std::vector<std::string>{"log.audit", "console.realtime.*"};
  named.publish = std::vector<std::string>{"log.event", "log.audit", "console.realtime.*"};
  principal admin;
  admin.admin = true;
  principal key;
  key.api_key = true;
  for (const config* c : {&dev, &open}) {
    for (const char* ch : {"log.event", "log.audit", "console.realtime.auth-granted",
                           "console.realtime.session-suspended", "console.realtime.other"}) {
      INFO(ch);
      for (const principal* p : {&none, &everything, &named, &admin, &key})
        CHECK_FALSE(may_publish(*p, ch, *c));
    }
    // The audit detail: admins and the API key only, whatever the claims say.
    for (const char* ch : {"log.audit", "console.realtime.auth-denied", "console.realtime.*"}) {
      INFO(ch);
      CHECK_FALSE(may_subscribe(none, ch, *c));
      CHECK_FALSE(may_subscribe(everything, ch, *c));
      CHECK_FALSE(may_subscribe(named, ch, *c));
      CHECK(may_subscribe(admin, ch, *c));
      CHECK(may_subscribe(key, ch, *c));
    }
    // log.event is the product's monitoring topic: readable as any channel.
    CHECK(may_subscribe(none, "log.event", *c));
    CHECK(may_subscribe(everything, "log.event", *c));
  }
  // Names next to the reserved ones are ordinary channels.
  CHECK(may_publish(everything, "log.events", dev));
  CHECK(may_publish(everything, "console.realtimes", dev));
  CHECK(may_subscribe(none, "log.auditor", dev));
}

TEST_CASE("console.stats: admins and the API key read it, nobody publishes to it", "[auth]") {
  config dev;
  config open = dev; // a namespace default cannot open it
  REQUIRE(apply_setting(open, "namespaces",
                        R"([{"prefix":"console.","subscribe_default":"allow",)"
                        R"("publish_default":"allow"}])")
            .empty());
  principal none;
  principal named;
  named.channels = std::vector<std::string>{"console.stats", "*"};
  named.publish = std::vector<std::string>{"console.stats", "*"};
  principal admin;
  admin.admin = true;
  principal key;
  key.api_key = true;
  for (const config* c : {&dev, &open}) {
    CHECK_FALSE(may_subscribe(none, "console.stats", *c));
    CHECK_FALSE(may_subscribe(named, "console.stats", *c));
    CHECK(may_subscribe(admin, "console.stats", *c));
    CHECK(may_subscribe(key, "console.stats", *c));
    for (const principal* p : {&none, &named, &admin, &key})
      CHECK_FALSE(may_publish(*p, "console.stats", *c));
  }
  // Its neighbours are ordinary channels.
  CHECK(may_subscribe(none, "console.statsx", dev));
  CHECK(may_publish(named, "console.statistics", dev));
}

TEST_CASE("workspace claims grant only inside their workspaces", "[auth]") {
  config dev;
  config prod = dev;
  prod.auth_development = false;
  principal w; // a workspace token: publish "events:*" means acme's events channels
  w.workspaces = {"acme"};
  w.publish = std::vector<std::string>{"events:*"};
  CHECK(may_publish(w, "ws.acme.events:x", dev));
  CHECK_FALSE(may_publish(w, "events:x", dev)); // the global channel of the same name
  CHECK_FALSE(may_publish(w, "events:x", prod));
  CHECK_FALSE(may_publish(w, "ws.globex.events:x", dev));

  principal star; // "*" of a workspace token is every channel of its workspaces, no more
  star.workspaces = {"acme"};
  star.publish = std::vector<std::string>{"*"};
  star.channels = std::vector<std::string>{"*"};
  CHECK(may_publish(star, "ws.acme.postgres:t", dev));
  CHECK_FALSE(may_publish(star, "ws.globex.postgres:t", dev));
  CHECK_FALSE(may_publish(star, "orders", dev));
  CHECK(may_subscribe(star, "ws.acme.postgres:t", prod));
  CHECK_FALSE(may_subscribe(star, "ws.globex.postgres:t", dev));
  CHECK_FALSE(may_subscribe(star, "orders", prod));

  principal full; // full names of its own workspace keep working
  full.workspaces = {"acme"};
  full.publish = std::vector<std::string>{"ws.acme.events:*", "ws.globex.*"};
  CHECK(may_publish(full, "ws.acme.events:a", dev));
  CHECK_FALSE(may_publish(full, "ws.globex.events:a", dev));

  principal plain; // no workspaces claim: patterns name full channels, as before
  plain.publish = std::vector<std::string>{"ws.acme.*", "events:*"};
  CHECK(may_publish(plain, "ws.acme.x", dev));
  CHECK_FALSE(may_publish(plain, "ws.globex.x", dev));
  CHECK(may_publish(plain, "events:x", dev));

  // A namespace that opens publishing opens it to every token.
  config open = dev;
  REQUIRE(apply_setting(open, "namespaces", R"([{"prefix":"events:","publish_default":"allow"}])")
            .empty());
  CHECK(may_publish(w, "events:x", open));
}

TEST_CASE("auth settings load from the environment names and have defaults", "[auth][config]") {
  config c;
  CHECK(c.auth_development);
  CHECK(c.auth_leeway_s == 30);
  CHECK(c.max_session_ttl_s == 86400);
  CHECK(apply_setting(c, "auth.development", "false").empty());
  CHECK_FALSE(c.auth_development);
  CHECK(apply_setting(c, "auth.issuer", "https://id.example").empty());
  CHECK(apply_setting(c, "auth.audience", "switchyard").empty());
  CHECK(apply_setting(c, "auth.leeway_s", "5").empty());
  CHECK(apply_setting(c, "auth.max_session_ttl_s", "600").empty());
  CHECK(c.auth_issuer == "https://id.example");
  CHECK(c.auth_leeway_s == 5);
  CHECK(validate_config(c).empty());
  ::setenv("SWITCHYARD_AUTH_KEYS", R"([{"kid":"e","alg":"HS384","secret":"from-env"}])", 1);
  auto r = load_config(std::nullopt, {});
  ::unsetenv("SWITCHYARD_AUTH_KEYS");
  REQUIRE(r.error.empty());
  REQUIRE(r.cfg.auth_keys.size() == 1);
  CHECK(r.cfg.auth_keys[0].alg == "HS384");
  CHECK(describe_config(r.cfg).find("from-env") == std::string::npos);
}
