// The SSE dialect's registry entry. It has no WebSocket endpoint (an empty ws_path matches no
// path): the stream route (net/bridge/app.cpp) opens its sessions. One subscription per
// stream, on by realtime.enabled, kept alive by the connection's own comment heartbeat
// (sse.heartbeat_ms), so the session sends no heartbeat or ping.
#include "config/config.hpp"
#include "schema/codes.hpp"
#include "schema/dialects/fabric/fabric.hpp"
#include "schema/dialects/sse/sse.hpp"

namespace sy::sse {

namespace {

std::optional<std::string> subscribed(std::string_view topic, std::string_view cursor,
                                      std::size_t replay, std::optional<bool> recovered) {
  return encode_subscribed(topic, cursor, replay, recovered);
}

std::string unsubscribed(std::string_view) {
  return ": unsubscribed\n\n"; // never asked: a stream has no client frames
}

// A stream holds one subscription: a refusal of it ends the stream (the connection writes the
// `event: close` with this code and reason). The stream route checks the token's right, the
// cursor and the filter before answering 200, so what reaches here is what only the router
// knows (quota_exceeded for channels per node, connections per user or address).
dialect_reply error(std::string_view code, std::string_view message, std::string_view) {
  std::uint16_t close = close_code::protocol_error;
  if (code == error_code::quota_exceeded)
    close = close_code::quota_exceeded;
  else if (code == error_code::scope_denied || code == error_code::unauthorized)
    close = close_code::scope_denied;
  else if (code == error_code::channel_unavailable)
    close = close_code::channel_unavailable;
  std::string reason(code);
  reason += ": ";
  reason += message;
  return {{}, close, std::move(reason)};
}

std::string pong() {
  return ": pong\n\n";
}

std::optional<std::string> no_heartbeat(std::int64_t) {
  return std::nullopt;
}

std::optional<std::string> no_refreshed(std::optional<std::int64_t>) {
  return std::nullopt;
}

frame_ptr snapshot(const encoded_event& e) {
  if (e.ev.data_json.empty())
    return nullptr; // a receipt: nothing to deliver
  return make_frame(encode_event_text(e));
}

// No live frame at publish: encode_event would pay for it on every publish whether or not a
// stream listens. The connection writes each event as its head, the shared REST object and
// the tail instead (net/http/sse_stream.cpp), so the REST bytes are never copied.
std::optional<std::string> no_live(live_input&) {
  return std::nullopt;
}

const dialect_codec codec{
  fabric::decode, fabric::map_topic, subscribed, unsubscribed, error, pong, no_heartbeat,
  no_refreshed,   snapshot,
  false, // first_message_auth: the credential comes with the request (401 otherwise)
};

bool enabled(const config& cfg) {
  return cfg.realtime_enabled;
}

std::optional<std::string> no_workspace(std::string_view, const config&) {
  return std::string();
}

std::size_t one(const config&) {
  return 1;
}

} // namespace

const dialect_descriptor descriptor{
  dialect::sse,
  "sse",
  &codec,
  no_live,
  "", // no WebSocket endpoint
  enabled,
  no_workspace,
  one,
  keep_alive_policy::client_ping, // the connection writes the heartbeat comments itself
  false,
  nullptr,
};

} // namespace sy::sse
