#pragma once
// Small helpers for writing JSON text by hand on hot paths (one pass, no DOM).
#include <initializer_list>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace sy {

/// Appends `s` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

inline std::string json_quote(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

/// One member of a small all-string frame; an `optional` member with an empty value is left out.
struct string_member {
  std::string_view key;
  std::string_view value;
  bool optional = false;
};

/// {"k1":"v1","k2":"v2",...} in the given order: the dialects' confirmations and error frames.
std::string string_object(std::initializer_list<string_member> members);

/// Appends `v` as compact JSON, like boost::json::serialize except for doubles, which are
/// written in their shortest round-trip form without a forced exponent (29.99, not Boost 1.81's
/// 2.999E1): what a reader of the seed protocols expects to see. `v` must hold finite numbers
/// only (finite_numbers).
void append_json_value(std::string& out, const boost::json::value& v);

inline std::string json_text(const boost::json::value& v) {
  std::string out;
  append_json_value(out, v);
  return out;
}

/// False when `v` holds a number outside the range of a double: Boost.JSON 1.81 parses 1e400
/// as infinity (and 0e400 as NaN) and serializes them as `Infinity` / `NaN`, which are not
/// JSON, so such a value must be refused before it is stored or sent.
bool finite_numbers(const boost::json::value& v) noexcept;

/// The text used to compare a JSON value with a filter value: strings compare by content,
/// numbers/bools/null by their JSON text, arrays/objects by their serialized form. So metadata
/// {"payloadId":123} matches the scope {"payloadId":"123"}.
std::string scalar_text(const boost::json::value& v);

} // namespace sy
