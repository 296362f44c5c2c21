#pragma once
// The Fabric dialect (seed 000) as a pure codec: client text -> command, results -> frame text.
// No I/O and no actor calls; see PROTOCOL.md for every frame.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/event.hpp"
#include "schema/scope_filter.hpp"

namespace sy::fabric {

enum class op : std::uint8_t { invalid, subscribe, unsubscribe, ping };

struct command {
  op kind = op::invalid;
  std::vector<std::string> topics;
  scope_filter scopes;
  std::vector<std::pair<std::string, std::string>> since; // topic -> cursor text
  // when kind == invalid:
  std::string error_code;
  std::string error_message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, command& x) {
  // op's underlying type is uint8_t, which may alias it
  return f(reinterpret_cast<std::uint8_t&>(x.kind), x.topics, x.scopes, x.since, x.error_code,
           x.error_message);
}

/// Never throws; malformed input yields kind == invalid with an error code from codes.hpp.
command decode(std::string_view text);

std::string encode_subscribed(std::string_view topic, std::string_view cursor,
                              std::size_t replay, std::optional<bool> recovered);
std::string encode_unsubscribed(std::string_view topic);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view topic = {});
std::string encode_pong();
std::string encode_heartbeat(std::int64_t wall_ms);
/// The event frame with "snapshot":true (built from the shared live frame).
std::string encode_snapshot(const encoded_event& e);

} // namespace sy::fabric
