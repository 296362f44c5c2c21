#pragma once
// Workspaces are a naming rule on the one channel space: the gateway channel
// "postgres:products" of workspace "acme" is the Switchyard channel "ws.acme.postgres:products".
// Isolation follows from the name: a session only ever maps topics into its own workspace, and
// the "ws.<id>." prefix needs a grant for <id> (net/auth/auth.cpp).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sy {

constexpr std::string_view workspace_prefix = "ws.";

/// 1..max_len characters of [A-Za-z0-9_-]: workspace ids, SnackBase collection names.
bool valid_plain_id(std::string_view id, std::size_t max_len);

/// Workspace ids: 1-64 characters of [A-Za-z0-9_-] (no '.', so the channel prefix is
/// unambiguous).
inline bool valid_workspace_id(std::string_view id) {
  return valid_plain_id(id, 64);
}

/// "ws.<workspace>.<local>"
std::string workspace_channel(std::string_view workspace, std::string_view local);

struct workspace_name {
  std::string_view workspace;
  std::string_view local; // the channel (or "prefix*" pattern) inside the workspace
};

/// Splits a Switchyard channel or pattern of a workspace; nullopt for any other name.
std::optional<workspace_name> split_workspace_channel(std::string_view channel);

} // namespace sy
