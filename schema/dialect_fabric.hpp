#pragma once
// The Fabric dialect as a pure codec: client text -> command, results -> frame text.
// No I/O and no actor calls; see PROTOCOL.md for every frame.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/dialect.hpp"
#include "schema/event.hpp"
#include "schema/filter.hpp"
#include "schema/scope_filter.hpp"

namespace sy::fabric {

/// Never throws; malformed input yields kind == invalid with an error code from codes.hpp.
client_command decode(std::string_view text);

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
