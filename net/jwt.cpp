#include "net/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace json = boost::json;

namespace sy {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::optional<std::int64_t> numeric_claim(const json::object& o, const char* name, bool& bad) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null())
    return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64())
    return v.get_int64();
  if (v.is_uint64())
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_double())
    return static_cast<std::int64_t>(v.get_double());
  bad = true;
  return std::nullopt;
}

} // namespace

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

std::optional<std::string> base64url_decode(std::string_view in) {
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
    else if (c == '=')
      break; // tolerate padding
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

jwt_result verify_hs256(std::string_view token, std::string_view secret, std::int64_t now_s,
                        std::int64_t leeway_s) {
  jwt_result r;
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos
      || token.find('.', d2 + 1) != std::string_view::npos) {
    r.error = "malformed token";
    return r;
  }
  auto header = base64url_decode(token.substr(0, d1));
  auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !payload || !sig) {
    r.error = "malformed token";
    return r;
  }
  boost::system::error_code ec;
  auto hv = json::parse(*header, ec);
  if (ec || !hv.is_object()) {
    r.error = "malformed token header";
    return r;
  }
  auto alg = hv.get_object().find("alg");
  if (alg == hv.get_object().end() || !alg->value().is_string()
      || alg->value().get_string() != "HS256") {
    r.error = "token algorithm is not HS256";
    return r;
  }
  auto expected = hmac_sha256(secret, token.substr(0, d2));
  if (sig->size() != expected.size()
      || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0) {
    r.error = "bad token signature";
    return r;
  }
  auto pv = json::parse(*payload, ec);
  if (ec || !pv.is_object()) {
    r.error = "malformed token payload";
    return r;
  }
  const auto& o = pv.get_object();
  bool bad = false;
  r.claims.exp = numeric_claim(o, "exp", bad);
  r.claims.nbf = numeric_claim(o, "nbf", bad);
  if (bad) {
    r.error = "exp/nbf must be numbers";
    return r;
  }
  if (r.claims.exp && now_s > *r.claims.exp + leeway_s) {
    r.error = "token expired";
    return r;
  }
  if (r.claims.nbf && now_s + leeway_s < *r.claims.nbf) {
    r.error = "token not yet valid";
    return r;
  }
  if (auto it = o.find("sub"); it != o.end() && it->value().is_string())
    r.claims.sub = std::string(it->value().get_string());
  if (auto it = o.find("admin"); it != o.end() && it->value().is_bool())
    r.claims.admin = it->value().get_bool();
  if (auto it = o.find("publish"); it != o.end()) {
    if (it->value().is_string()) {
      r.claims.publish.emplace_back(it->value().get_string());
    } else if (it->value().is_array()) {
      for (const auto& p : it->value().get_array())
        if (p.is_string())
          r.claims.publish.emplace_back(p.get_string());
    } else if (it->value().is_bool() && it->value().get_bool()) {
      r.claims.publish.emplace_back("*");
    }
  }
  r.ok = true;
  return r;
}

std::string sign_hs256(std::string_view payload_json, std::string_view secret) {
  std::string signing_input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "."
                              + base64url_encode(payload_json);
  return signing_input + "." + base64url_encode(hmac_sha256(secret, signing_input));
}

} // namespace sy
