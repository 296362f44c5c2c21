#pragma once
// Request-target parsing: path segments and query parameters, percent-decoded.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sy {

struct request_target {
  std::vector<std::string> segments; // "/v1/channels/a%2Eb/events" -> v1, channels, a.b, events
  std::vector<std::pair<std::string, std::string>> query;

  /// The first value of `key`, if present.
  std::optional<std::string> param(std::string_view key) const;
};

/// nullopt when a percent escape is malformed.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);
std::optional<request_target> parse_target(std::string_view target);

} // namespace sy
