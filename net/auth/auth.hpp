#pragma once
// Authentication and authorization behind one interface. The authenticator turns a credential
// (API key or JWT) into a principal; the pure may_* functions below decide what it may do.
// Callers never look at claims or keys themselves.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace sy {

struct principal {
  std::string sub;
  bool api_key = false; // authenticated with the API key (may do everything)
  bool admin = false;   // "admin": true claim (may do everything)
  // nullopt: the token had no such claim (namespace / global defaults decide). A present list
  // is the holder's whole grant for channels outside namespaces with an explicit default.
  std::optional<std::vector<std::string>> channels; // may subscribe to (and read history of)
  std::optional<std::vector<std::string>> publish;  // may publish to
  std::vector<std::string> workspaces;              // workspace ids it may use
  std::optional<std::int64_t> exp;                  // token expiry (unix s); none for the API key
};

struct auth_result {
  bool ok = false;
  principal who;
  std::string error; // fixed text: never echoes the credential
  bool expired = false; // refused only because exp passed (gateway: 4001 rather than 4003)
};

class authenticator {
public:
  virtual ~authenticator() = default;
  /// A token presented by a subscriber (query parameter or bearer).
  virtual auth_result verify_token(std::string_view token) const = 0;
  /// A REST bearer credential: the API key or a token.
  virtual auth_result verify_credential(std::string_view credential) const = 0;
};

/// Builds the verifier from auth.jwt_secret (kid-less HS256), auth.keys and auth.jwks_file.
/// A key that fails to load is left out and reported in `*error` (when given), so tokens for
/// it are refused rather than accepted by a fallback.
std::unique_ptr<authenticator> make_authenticator(const config& cfg, std::string* error = nullptr);

/// Loads every configured key and reports the first problem ("" when all load). For
/// check-config / serve to refuse a config whose keys cannot be used.
std::string auth_config_error(const config& cfg);

/// Extracts the credential from "Bearer <x>" (case-insensitive scheme); "" when absent.
std::string_view bearer_value(std::string_view authorization);

/// Channel pattern match: "*" matches all, "prefix*" (e.g. "orders.*", "postgres:*") matches by
/// prefix, else exact.
bool pattern_matches(std::string_view pattern, std::string_view channel);

/// Subscribe (and REST history read) right. In order: API key / admin -> allow; a matching
/// `channels` pattern -> allow; the namespace's explicit subscribe_default; a present
/// `channels` claim that did not match -> deny; else the global default (auth.development).
bool may_subscribe(const principal& p, std::string_view channel, const config& cfg);

/// Publish right: as may_subscribe with the `publish` claim and publish_default, except that
/// the global default is always deny (development mode opens subscribing only).
bool may_publish(const principal& p, std::string_view channel, const config& cfg);

/// API key, admin, or the workspace id is listed in the `workspaces` claim.
bool may_use_workspace(const principal& p, std::string_view workspace_id);

/// A principal from verified claims (what the authenticator hands out for a JWT).
struct jwt_claims;
principal principal_from_claims(jwt_claims claims);

} // namespace sy
