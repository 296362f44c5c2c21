// The gateway's registry entry: GET /workspaces/{id}/realtime/connect when gateway.enabled,
// gateway.max_subscriptions channels per connection, first-message auth, and a WebSocket ping
// to keep its listening clients alive.
#include "config/config.hpp"
#include "schema/dialects/gateway/gateway.hpp"

namespace sy::gateway {

namespace {

std::optional<std::string> subscribed(std::string_view channel, std::string_view, std::size_t,
                                      std::optional<bool>) {
  return encode_subscribed(channel);
}

std::optional<std::string> no_heartbeat(std::int64_t) {
  return std::nullopt; // kept alive by a WebSocket ping instead (keep_alive_policy::ws_ping)
}

std::optional<std::string> refreshed(std::optional<std::int64_t>) {
  return std::nullopt; // a renewed {"type":"auth"} is silent; failure closes
}

frame_ptr snapshot(const encoded_event& e) {
  return e.frame(dialect::gateway);
}

const dialect_codec codec{
  decode,    map_topic, subscribed, encode_unsubscribed, reply_error, encode_pong, no_heartbeat,
  refreshed, snapshot,
  true, // first_message_auth: browsers cannot set a header on the upgrade
};

bool enabled(const config& cfg) {
  return cfg.gateway_enabled;
}

// Other ids: no endpoint (404), as for any unknown path.
std::optional<std::string> workspace(std::string_view id, const config&) {
  if (!valid_workspace_id(id))
    return std::nullopt;
  return std::string(id);
}

std::size_t topic_limit(const config& cfg) {
  return cfg.gateway_max_subscriptions;
}

} // namespace

const dialect_descriptor descriptor{
  dialect::gateway,
  "gateway",
  &codec,
  encode_live,
  "workspaces/{id}/realtime/connect",
  enabled,
  workspace,
  topic_limit,
  keep_alive_policy::ws_ping,
  true, // refresh_checks_workspace: a renewed token must still grant the workspace
  &ingestion,
};

} // namespace sy::gateway
