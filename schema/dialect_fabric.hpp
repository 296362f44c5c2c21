#pragma once
// The Fabric dialect (seed 000) as a pure codec: client text -> command, results -> frame text.
// No I/O and no actor calls; see PROTOCOL.md for every frame.
#include <optional>

#include <caf/allowed_unsafe_message_type.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/event.hpp"
#include "schema/filter.hpp"
#include "schema/scope_filter.hpp"

namespace sy::fabric {

enum class op : std::uint8_t { invalid, subscribe, unsubscribe, ping, refresh };

struct command {
  op kind = op::invalid;
  std::vector<std::string> topics;
  scope_filter scopes;
  event_filter_ptr filter; // scopes + "filter" compiled once; null: deliver everything
  std::vector<std::pair<std::string, std::string>> since; // topic -> cursor text
  std::string token; // refresh
  // when kind == invalid:
  std::string error_code;
  std::string error_message;
};

/// Never throws; malformed input yields kind == invalid with an error code from codes.hpp.
command decode(std::string_view text);

std::string encode_subscribed(std::string_view topic, std::string_view cursor,
                              std::size_t replay, std::optional<bool> recovered);
std::string encode_unsubscribed(std::string_view topic);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view topic = {});
std::string encode_pong();
/// {"op":"refreshed","expiresAt":"<RFC 3339>"} (expiresAt null for a token without exp).
std::string encode_refreshed(std::optional<std::int64_t> exp_s);
std::string encode_heartbeat(std::int64_t wall_ms);
/// The event frame with "snapshot":true (built from the shared live frame).
std::string encode_snapshot(const encoded_event& e);

} // namespace sy::fabric

// Decoded on the I/O thread and handed to the local session actor; it carries a compiled
// filter, so it never crosses the network.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::fabric::command)
