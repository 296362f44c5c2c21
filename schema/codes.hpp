#pragma once
// Every WebSocket close code and error-frame code Switchyard emits, in one place.
// PROTOCOL.md documents the same table; change both together.
#include <cstdint>
#include <string_view>

namespace sy::close_code {

constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;      // server shutting down: reconnect elsewhere/later
constexpr std::uint16_t unsupported_data = 1003; // binary frame received
constexpr std::uint16_t too_big = 1009;          // frame larger than realtime.max_frame_bytes
constexpr std::uint16_t internal_error = 1011;
constexpr std::uint16_t token_expired = 4001;  // the token's exp passed without a refresh
constexpr std::uint16_t idle_timeout = 4002;   // no client frame within realtime.idle_timeout_ms
constexpr std::uint16_t scope_denied = 4003;   // gateway: not authenticated / not granted
constexpr std::uint16_t quota_exceeded = 4008; // connections per user/IP, frames per second
constexpr std::uint16_t slow_consumer = 4009;  // outbound queue over realtime.outbound_queue_bytes
constexpr std::uint16_t channel_unavailable = 4010; // gateway: no such channel

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
