#pragma once
// What a session may do, decided once per token. Implemented in net/ (claims, namespaces,
// keys); the session actor only asks. Keeps actors/ free of the auth code.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sy {

class session_auth {
public:
  virtual ~session_auth() = default;
  /// The token's subject.
  virtual const std::string& subject() const = 0;
  /// Subscribe right for a channel or a wildcard pattern ("postgres:*").
  virtual bool may_subscribe(std::string_view topic) const = 0;
  /// Publish right for a channel (rooms: state patches and member publishes on room.R). The
  /// default grants nothing, so a grant that does not say can never publish.
  virtual bool may_publish(std::string_view /*channel*/) const {
    return false;
  }
  /// Workspace right (gateway, SnackBase): the API key, admin, or the id in the `workspaces` claim.
  virtual bool may_use_workspace(std::string_view workspace) const = 0;
  /// Token expiry (unix seconds), if the token has one.
  virtual std::optional<std::int64_t> expires_at_s() const = 0;
  /// Verifies a token presented in-band ({"op":"refresh"}). The new grant, or null with
  /// `error` set (the old grant stays). The subject must not change.
  virtual std::shared_ptr<const session_auth> refresh(std::string_view token,
                                                       std::string& error) const = 0;
};

/// A token checked on its own, for a session that authenticates with its first message
/// ({"type":"auth","token":...} in the gateway dialect).
struct auth_outcome {
  std::shared_ptr<const session_auth> grant; // null: refused
  bool expired = false;                      // refused because exp passed
  std::string error;                         // fixed text, never the token
};

class token_verifier {
public:
  virtual ~token_verifier() = default;
  virtual auth_outcome verify(std::string_view token) const = 0;
};

} // namespace sy
