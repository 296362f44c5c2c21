#pragma once
// Every error a client can be answered with, as one enum and one table: the wire code (error
// frames and REST bodies), the HTTP status a REST request gets, and the close code of the
// dialects that close for it instead of sending an error frame. Actors fail requests with
// `sy::errc` (a CAF error category, schema/errc_caf.hpp, so it crosses nodes as a code, never
// as text); the edges turn it into a status or a frame through this table, and the HTTP
// transport answers its own refusals (limits, admission, TLS) from it too. Pure: net/ includes
// it without CAF. PROTOCOL.md documents the same codes.
#include <cstdint>
#include <string>
#include <string_view>

namespace sy {

enum class errc : std::uint8_t {
  bad_json = 1, // 0 is "no error" in CAF
  bad_request,
  unknown_op,
  invalid_topic,
  invalid_channel,
  invalid_collection,
  invalid_workspace,
  invalid_filter,
  bad_cursor,
  bad_limit,
  not_subscribed,
  unauthorized,
  forbidden,
  scope_denied,
  not_found,
  channel_unavailable,
  method_not_allowed,
  upgrade_required,
  quota_exceeded,
  unavailable,
  // -- the HTTP transport's own refusals --
  payload_too_large,
  headers_too_large,
  not_implemented,
  too_many_connections,
  busy,
  tls_required,
  realtime_disabled,
  origin_denied,
  // -- the durable store --
  insufficient_storage, // a publish the store could not write: nothing of it is acknowledged
  already_exists,       // a backup's target directory exists: a backup never overwrites
  // -- shutdown --
  shutting_down, // a request that reached the server after SIGTERM/SIGINT: nothing was done
  // -- rooms --
  version_conflict, // a state patch named a version that is not the room's current one
  room_full,        // rooms.max_members reached
  state_too_large,  // the patched state would exceed rooms.max_state_bytes
  info_too_large,   // a member's info over rooms.max_info_bytes
  not_joined,       // a room frame for a room this connection has not joined
  // -- the admin API --
  closed_by_admin, // an operator closed the connection (DELETE /v1/connections/{id} ...)
};

/// One row of the table.
struct errc_info {
  errc code;
  std::string_view wire;   // "bad_cursor": the `code` of error frames and REST error bodies
  unsigned http_status;    // what a REST request failing with it is answered with
  std::uint16_t close_code; // where a dialect closes for it instead (0: never closes)
};

const errc_info& info(errc e);

inline std::string_view wire_code(errc e) {
  return info(e).wire;
}

inline unsigned http_status(errc e) {
  return info(e).http_status;
}

std::string to_string(errc e);

/// How many errc values there are (they run from 1 to errc_count()).
std::size_t errc_count();

/// The errc whose wire code is `wire`; errc::unavailable for a code not in the table.
errc errc_from_wire(std::string_view wire);

} // namespace sy
