#pragma once
// The seam between one session actor and the wire protocol it speaks. A dialect's codec is pure:
// client text -> client_command, session outcome -> frame text or a close. Routing, quotas and
// auth stay in the session and the channels; no codec owns any of it. The codec is a table of
// plain functions (no virtual call, constant-initialized), one per dialect folder.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

#include "schema/event.hpp"
#include "schema/filter.hpp"

namespace sy {

enum class op : std::uint8_t {
  invalid, subscribe, unsubscribe, ping, refresh, auth,
  // rooms (Fabric only; PROTOCOL.md "Rooms")
  join, leave, presence, state, room_publish,
};

/// A decoded client frame, in the dialect's own topic names (mapped by map_topic).
struct client_command {
  op kind = op::invalid;
  std::vector<std::string> topics;
  event_filter_ptr filter; // compiled once at decode; null: deliver everything
  std::vector<std::pair<std::string, std::string>> since; // topic -> cursor text
  std::string token; // refresh / auth
  // rooms: the room name; join/presence: the info object, state: the patch object,
  // room_publish: the data (JSON text, parsed once here)
  std::string room;
  std::string body_json;
  std::uint64_t version = 0; // state: the version the patch applies to
  std::string event_type;    // room_publish
  bool volatile_event = false; // room_publish: deliver without storing
  // when kind == invalid:
  std::string error_code;
  std::string error_message;
};

/// What the session does with an outcome: send `frame`, or close with `close_code`.
struct dialect_reply {
  std::string frame;
  std::uint16_t close_code = 0; // non-zero: close the connection instead of sending a frame
  std::string close_reason;
};

/// A dialect topic resolved to a Switchyard channel (or "prefix*" pattern).
struct topic_mapping {
  std::string channel; // empty: refused with `error_code`
  std::string error_code;
  std::string error_message;
};

/// Client frames in, replies out, and which refusals close. Called once per client frame or
/// reply, never per subscriber.
struct dialect_codec {
  /// Never throws; malformed input yields kind == invalid with an error code from codes.hpp.
  client_command (*decode)(std::string_view text);
  /// `workspace` is the session's workspace ("" where the dialect has none).
  topic_mapping (*map_topic)(std::string_view topic, std::string_view workspace);
  /// The subscribe confirmation; nullopt where the dialect sends none.
  std::optional<std::string> (*subscribed)(std::string_view topic, std::string_view cursor,
                                           std::size_t replay, std::optional<bool> recovered);
  std::string (*unsubscribed)(std::string_view topic);
  /// The close policy: an error frame, or a close for the refusals the dialect closes on.
  dialect_reply (*error)(std::string_view code, std::string_view message,
                         std::string_view topic);
  std::string (*pong)();
  /// The periodic heartbeat frame; nullopt where the dialect has none (see keep_alive).
  std::optional<std::string> (*heartbeat)(std::int64_t wall_ms);
  /// Answer to an accepted in-band token renewal; nullopt for none.
  std::optional<std::string> (*refreshed)(std::optional<std::int64_t> exp_s);
  /// The frame of a snapshot event (Fabric flags it; other dialects send the live frame).
  frame_ptr (*snapshot)(const encoded_event& e);
  /// True when the client must send {"type":"auth"} before anything else if the upgrade
  /// carried no credential.
  bool first_message_auth;
};

/// The codec and the name ("fabric", in logs and audit records) of a registered dialect
/// (registry.cpp).
const dialect_codec& codec_for(dialect d);
const char* dialect_name(dialect d);

} // namespace sy

// Decoded on the I/O thread and handed to the local session actor; it carries a compiled
// filter, so it never crosses the network.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::client_command)
