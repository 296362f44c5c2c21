#pragma once
// Authentication behind one interface: today a HS256 secret plus an API key; the full model
// (RS/ES keys, JWKS, claims-based channel permissions) plugs in here without touching callers.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace sy {

struct principal {
  std::string sub;
  bool api_key = false; // authenticated with the API key (full publish rights)
  bool admin = false;
  std::vector<std::string> publish;
};

struct auth_result {
  bool ok = false;
  principal who;
  std::string error;
};

class authenticator {
public:
  virtual ~authenticator() = default;
  /// A token presented by a subscriber (query parameter or bearer).
  virtual auth_result verify_token(std::string_view token) const = 0;
  /// A REST bearer credential: the API key or a token.
  virtual auth_result verify_credential(std::string_view credential) const = 0;
};

std::unique_ptr<authenticator> make_authenticator(const config& cfg);

/// Extracts the credential from "Bearer <x>" (case-insensitive scheme); "" when absent.
std::string_view bearer_value(std::string_view authorization);

/// Channel pattern match: "*" matches all, "prefix*" matches by prefix, else exact.
bool pattern_matches(std::string_view pattern, std::string_view channel);

bool may_publish(const principal& p, std::string_view channel);

} // namespace sy
