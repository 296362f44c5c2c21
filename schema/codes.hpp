#pragma once
// Every WebSocket close code and error-frame code Switchyard emits or reports, in one place.
// PROTOCOL.md documents the same table; change both together. Pure: net/ includes it too.
#include <cstdint>
#include <string_view>

namespace sy::close_code {

// -- sent in close frames --
constexpr std::uint16_t normal = 1000;           // the answer to a client's close without a code
constexpr std::uint16_t going_away = 1001;       // server shutting down: reconnect elsewhere/later
constexpr std::uint16_t protocol_error = 1002;   // malformed framing, bad close frame/code
constexpr std::uint16_t unsupported_data = 1003; // binary frame received
constexpr std::uint16_t invalid_payload = 1007;  // text message or close reason not UTF-8
constexpr std::uint16_t too_big = 1009;          // message larger than realtime.max_frame_bytes
constexpr std::uint16_t internal_error = 1011;
constexpr std::uint16_t token_expired = 4001;  // the token's exp passed without a refresh
constexpr std::uint16_t idle_timeout = 4002;   // no client frame within realtime.idle_timeout_ms
constexpr std::uint16_t scope_denied = 4003;   // gateway: not authenticated / not granted
constexpr std::uint16_t quota_exceeded = 4008; // connections per user/IP, frames per second
constexpr std::uint16_t slow_consumer = 4009;  // outbound queue over realtime.outbound_queue_bytes
constexpr std::uint16_t channel_unavailable = 4010; // gateway: no such channel
constexpr std::uint16_t closed_by_admin = 4011; // an operator closed it (admin API)

// -- never sent: reported to the session (ws_handler::on_closed) only --
constexpr std::uint16_t no_status = 1005; // the client's close frame carried no code
constexpr std::uint16_t abnormal = 1006;  // the TCP connection ended without a close frame

/// Whether a client may send `code` in a close frame (RFC 6455 7.4 and the IANA registry):
/// 1000-1003, 1007-1014 and the application range 3000-4999. Everything else (0-999, the
/// reserved 1004, the never-on-the-wire 1005/1006/1015, unassigned 1016-2999, 5000+) fails
/// the connection with protocol_error and is never echoed. 1012-1014 (service restart, try
/// again later, bad gateway) were registered after RFC 6455; Autobahn|Testsuite accepts them.
constexpr bool valid_from_peer(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
         || (code >= 3000 && code <= 4999);
}

} // namespace sy::close_code

namespace sy::error_code {

// Fabric error frames: {"op":"error","code":<one of these>,...}
constexpr std::string_view bad_json = "bad_json";
constexpr std::string_view bad_request = "bad_request";
constexpr std::string_view unknown_op = "unknown_op";
constexpr std::string_view invalid_topic = "invalid_topic";
constexpr std::string_view bad_cursor = "bad_cursor";
constexpr std::string_view quota_exceeded = "quota_exceeded";
constexpr std::string_view not_subscribed = "not_subscribed";
constexpr std::string_view unavailable = "unavailable";
constexpr std::string_view invalid_filter = "invalid_filter";
constexpr std::string_view scope_denied = "scope_denied"; // 4003 in dialects that close
constexpr std::string_view channel_unavailable = "channel_unavailable"; // 4010 where closing
constexpr std::string_view unauthorized = "unauthorized";   // in-band refresh refused

} // namespace sy::error_code
