#pragma once
// The Fabric dialect: Switchyard's own protocol, on every channel. GET /realtime; publishes go
// through the core REST routes. Pure codec: client text -> command, results -> frame text; no
// I/O and no actor calls. PROTOCOL.md "Fabric WebSocket" documents every frame.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "schema/dialects/descriptor.hpp"
#include "schema/event.hpp"

namespace sy::fabric {

/// The registry's entry (descriptor.cpp).
extern const dialect_descriptor descriptor;

// -- codec (codec.cpp) ----------------------------------------------------------------------------

/// Never throws; malformed input yields kind == invalid with an error code from codes.hpp.
client_command decode(std::string_view text);

/// Topics are channel names or "prefix*" patterns, used as they are.
topic_mapping map_topic(std::string_view topic, std::string_view workspace);

std::string encode_subscribed(std::string_view topic, std::string_view cursor,
                              std::size_t replay, std::optional<bool> recovered);
std::string encode_unsubscribed(std::string_view topic);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view topic = {});
std::string encode_pong();
/// {"op":"refreshed","expiresAt":"<RFC 3339>"} (expiresAt null for a token without exp).
std::string encode_refreshed(std::optional<std::int64_t> exp_s);
std::string encode_heartbeat(std::int64_t wall_ms);

// -- rooms (room_frames.cpp; PROTOCOL.md "Rooms") --------------------------------------------

/// join / leave / presence / state / publish (with "room") into a command; `name` is the op.
client_command decode_room(std::string_view name, const boost::json::object& o);
/// {"member","user","info","joinedAt"}: one entry of `members` and `joins`.
std::string encode_member(std::string_view member, std::string_view user, std::string_view info,
                          std::int64_t joined_ms);
/// `members`, `metadata`, `state` are JSON texts (an array of encode_member, two objects).
std::string encode_joined(std::string_view room, std::string_view member,
                          std::string_view members, std::string_view metadata,
                          std::string_view state, std::uint64_t version);
/// `joins` an array of members, `leaves` an array of member ids, `updates` an array of
/// {"member","info"}.
std::string encode_presence(std::string_view room, std::string_view joins,
                            std::string_view leaves, std::string_view updates);
/// `member` empty: a backend's patch ("member":null).
std::string encode_state(std::string_view room, std::string_view patch, std::uint64_t version,
                         std::string_view member);
std::string encode_metadata(std::string_view room, std::string_view metadata);
std::string encode_left(std::string_view room);
/// A volatile member publish: {"op":"event","topic":"room.R","channel":"room.R","timestamp",
/// "type","data","metadata":{"member","user"},"volatile":true} (no seq, id or cursor: it is
/// never stored).
std::string encode_volatile_event(std::string_view room, std::int64_t wall_ms,
                                  std::string_view type, std::string_view data,
                                  std::string_view member, std::string_view user);
/// {"op":"error","code":"version_conflict","room":R,"version":<current>}
std::string encode_version_conflict(std::string_view room, std::uint64_t version);
/// {"op":"error","code":...,"room":R,"message":...}
std::string encode_room_error(std::string_view code, std::string_view message,
                              std::string_view room);

// -- live frame (live.cpp) ------------------------------------------------------------------------

/// {"op":"event","topic":<channel>, <the REST object's members>, "snapshot":false}: every
/// channel has one.
std::optional<std::string> encode_live(live_input& in);
/// The event frame with "snapshot":true (built from the shared live frame).
std::string encode_snapshot(const encoded_event& e);

} // namespace sy::fabric
