#pragma once
// The router's own channels (AUTH.md *Reserved channels*). Only the router publishes to them:
// a client that could would forge audit records. `log.event` is the product's monitoring topic
// (a Fabric client watches the system by subscribing to it), readable like any channel, so it
// carries no client identity; the same records with addresses, subjects, user agents and auth
// outcomes go to `log.audit` and, for the gateway's four audit events, to `console.realtime.*`,
// which only admins (and the API key) read, whatever a token's claims or a namespace default say.
#include <string_view>

namespace sy {

inline constexpr std::string_view log_event_channel = "log.event";
inline constexpr std::string_view log_audit_channel = "log.audit";
inline constexpr std::string_view console_audit_prefix = "console.realtime.";
// The admin console's live numbers (actors/stats.hpp): counts of the whole node, for admins.
inline constexpr std::string_view console_stats_channel = "console.stats";

/// Channels (or "prefix*" patterns) inside the audit detail: admins only.
inline bool admin_only_channel(std::string_view name) noexcept {
  return name == log_audit_channel || name == console_stats_channel
         || name.substr(0, console_audit_prefix.size()) == console_audit_prefix;
}

/// Channels that describe this node only: served here whatever a cluster's ownership ranking
/// says (each node publishes its own numbers), never replicated and never written to the
/// durable store (a number a second old is worth nothing after a restart).
inline bool node_local_channel(std::string_view name) noexcept {
  return name == console_stats_channel;
}

/// Channels only the router publishes to.
inline bool router_only_channel(std::string_view name) noexcept {
  return name == log_event_channel || admin_only_channel(name);
}

} // namespace sy
