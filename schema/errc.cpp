#include "schema/errc.hpp"

#include <array>

#include "schema/codes.hpp"

namespace sy {

namespace {

// In enum order: row i describes errc value i + 1.
constexpr std::array<errc_info, 37> table{{
  {errc::bad_json, "bad_json", 400, 0},
  {errc::bad_request, "bad_request", 400, 0},
  {errc::unknown_op, "unknown_op", 400, 0},
  {errc::invalid_topic, "invalid_topic", 400, 0},
  {errc::invalid_channel, "invalid_channel", 400, 0},
  {errc::invalid_collection, "invalid_collection", 400, 0},
  {errc::invalid_workspace, "invalid_workspace", 400, 0},
  {errc::invalid_filter, "invalid_filter", 400, 0},
  {errc::bad_cursor, "bad_cursor", 400, 0},
  {errc::bad_limit, "bad_limit", 400, 0},
  {errc::not_subscribed, "not_subscribed", 400, 0},
  {errc::unauthorized, "unauthorized", 401, close_code::scope_denied},
  {errc::forbidden, "forbidden", 403, 0},
  {errc::scope_denied, "scope_denied", 403, close_code::scope_denied},
  {errc::not_found, "not_found", 404, 0},
  {errc::channel_unavailable, "channel_unavailable", 404, close_code::channel_unavailable},
  {errc::method_not_allowed, "method_not_allowed", 405, 0},
  {errc::upgrade_required, "upgrade_required", 426, 0},
  {errc::quota_exceeded, "quota_exceeded", 429, close_code::quota_exceeded},
  {errc::unavailable, "unavailable", 503, 0},
  {errc::payload_too_large, "payload_too_large", 413, 0},
  {errc::headers_too_large, "headers_too_large", 431, 0},
  {errc::not_implemented, "not_implemented", 501, 0},
  {errc::too_many_connections, "too_many_connections", 503, 0},
  {errc::busy, "busy", 503, 0},
  {errc::tls_required, "tls_required", 400, 0},
  {errc::realtime_disabled, "realtime_disabled", 404, 0},
  {errc::origin_denied, "origin_denied", 403, 0},
  {errc::insufficient_storage, "insufficient_storage", 507, 0},
  {errc::already_exists, "already_exists", 409, 0},
  {errc::shutting_down, "shutting_down", 503, close_code::going_away},
  {errc::version_conflict, "version_conflict", 409, 0},
  {errc::room_full, "room_full", 409, 0},
  {errc::state_too_large, "state_too_large", 413, 0},
  {errc::info_too_large, "info_too_large", 413, 0},
  {errc::not_joined, "not_joined", 409, 0},
  // Only ever a close (4011, and an SSE stream's last `event: close`); 410 if a REST answer
  // ever carried it: the connection is gone.
  {errc::closed_by_admin, "closed_by_admin", 410, close_code::closed_by_admin},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (static_cast<std::size_t>(table[i].code) != i + 1)
      return false;
  return true;
}
static_assert(table_in_enum_order(), "one row per errc, in enum order");
static_assert(static_cast<std::size_t>(errc::closed_by_admin) == table.size(), "a row per errc");

} // namespace

const errc_info& info(errc e) {
  auto i = static_cast<std::size_t>(e);
  if (i < 1 || i > table.size()) // not an errc value: treat it as the router failing
    i = static_cast<std::size_t>(errc::unavailable);
  return table[i - 1];
}

std::string to_string(errc e) {
  return std::string(wire_code(e));
}

std::size_t errc_count() {
  return table.size();
}

errc errc_from_wire(std::string_view wire) {
  for (const auto& row : table)
    if (row.wire == wire)
      return row.code;
  return errc::unavailable;
}

} // namespace sy
