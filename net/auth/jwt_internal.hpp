#pragma once
// Internals shared by the two halves of the JWT code: key loading (jwt_keyset.cpp) and token
// verification/signing (jwt.cpp). Not part of the jwt.hpp API.
#include <memory>
#include <string>

#include <openssl/evp.h>

#include <boost/json/object.hpp>

#include "net/auth/jwt.hpp"

namespace sy {

struct pkey_free {
  void operator()(EVP_PKEY* k) const {
    EVP_PKEY_free(k);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

struct jwt_keyset::key {
  std::string kid;
  jwt_alg alg;
  std::string secret; // HS*
  pkey_ptr pkey;      // RS256 / ES256
};

/// A string member of a JSON object ("" when absent or not a string): JWK fields and claims.
inline std::string text_field(const boost::json::object& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

inline bool is_hmac(jwt_alg a) {
  return a == jwt_alg::hs256 || a == jwt_alg::hs384 || a == jwt_alg::hs512;
}

} // namespace sy
