// The Fabric dialect's registry entry: GET /realtime on every channel, subscriptions limited by
// realtime.topic_limit, kept alive by the client's own {"op":"ping"}.
#include "config/config.hpp"
#include "schema/dialects/fabric/fabric.hpp"

namespace sy::fabric {

namespace {

std::optional<std::string> subscribed(std::string_view topic, std::string_view cursor,
                                      std::size_t replay, std::optional<bool> recovered) {
  return encode_subscribed(topic, cursor, replay, recovered);
}

dialect_reply error(std::string_view code, std::string_view message, std::string_view topic) {
  return {encode_error(code, message, topic), 0, {}};
}

std::optional<std::string> heartbeat(std::int64_t wall_ms) {
  return encode_heartbeat(wall_ms);
}

std::optional<std::string> refreshed(std::optional<std::int64_t> exp_s) {
  return encode_refreshed(exp_s);
}

frame_ptr snapshot(const encoded_event& e) {
  return make_frame(encode_snapshot(e));
}

const dialect_codec codec{
  decode,       map_topic, subscribed, encode_unsubscribed, error, encode_pong, heartbeat,
  refreshed,    snapshot,
  false, // first_message_auth: the credential comes with the upgrade (401 otherwise)
};

bool always(const config&) {
  return true;
}

std::optional<std::string> no_workspace(std::string_view, const config&) {
  return std::string();
}

std::size_t topic_limit(const config& cfg) {
  return cfg.topic_limit;
}

} // namespace

const dialect_descriptor descriptor{
  dialect::fabric,
  "fabric",
  &codec,
  encode_live,
  "realtime",
  always,
  no_workspace,
  topic_limit,
  keep_alive_policy::client_ping,
  false,   // refresh_checks_workspace: no workspace
  nullptr, // ingest: the core REST routes (/v1/channels/{channel}/events, feeds)
};

} // namespace sy::fabric
