#include "support/jwt_mint.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>

namespace sy::test {

std::string base64url(const std::string& bytes) {
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(acc << (6 - bits)) & 0x3f]);
  return out; // JWT uses unpadded base64url (RFC 7515 section 2)
}

std::string mint_jwt_with_header(const std::string& secret, const std::string& header_json,
                                 const std::string& claims_json, bool sign) {
  std::string signing_input = base64url(header_json) + "." + base64url(claims_json);
  if (!sign)
    return signing_input + ".";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_len);
  return signing_input + "." + base64url(std::string(reinterpret_cast<char*>(mac), mac_len));
}

std::string mint_jwt(const std::string& secret, const std::string& claims_json) {
  return mint_jwt_with_header(secret, R"({"alg":"HS256","typ":"JWT"})", claims_json, true);
}

std::int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace sy::test
