// The SnackBase registry entry: GET /api/v1/realtime/ws when snackbase.enabled, sessions in
// snackbase.workspace, snackbase.max_subscriptions collections per connection, a heartbeat
// frame and a WebSocket ping to keep its listening clients alive.
#include "config/config.hpp"
#include "schema/dialects/snackbase/snackbase.hpp"

namespace sy::snackbase {

namespace {

std::optional<std::string> subscribed(std::string_view collection, std::string_view,
                                      std::size_t, std::optional<bool>) {
  return encode_subscribed(collection);
}

std::optional<std::string> heartbeat(std::int64_t wall_ms) {
  return encode_heartbeat(wall_ms);
}

std::optional<std::string> refreshed(std::optional<std::int64_t>) {
  return std::nullopt; // no in-band renewal
}

frame_ptr snapshot(const encoded_event& e) {
  return e.frame(dialect::snackbase);
}

const dialect_codec codec{
  decode,    map_topic, subscribed, encode_unsubscribed, reply_error, encode_pong, heartbeat,
  refreshed, snapshot,
  false, // first_message_auth: the credential comes with the upgrade (401 otherwise)
};

bool enabled(const config& cfg) {
  return cfg.snackbase_enabled;
}

std::optional<std::string> workspace(std::string_view, const config& cfg) {
  return cfg.snackbase_workspace;
}

std::size_t topic_limit(const config& cfg) {
  return cfg.snackbase_max_subscriptions;
}

} // namespace

const dialect_descriptor descriptor{
  dialect::snackbase,
  "snackbase",
  &codec,
  encode_live,
  "api/v1/realtime/ws",
  enabled,
  workspace,
  topic_limit,
  keep_alive_policy::ws_ping,
  false, // refresh_checks_workspace: SnackBase has no in-band renewal
  &ingestion,
};

} // namespace sy::snackbase
