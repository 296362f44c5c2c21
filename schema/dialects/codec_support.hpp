#pragma once
// What the dialect codecs share: reading a client frame as a JSON object, typed member
// access, and compiling a filter spec into the command. Pure; never throws.
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/dialects/codec.hpp"

namespace sy::codec {

/// A refused frame: kind == invalid with `code` (codes.hpp) and a message for the client.
client_command invalid(std::string_view code, std::string message);

/// Parses `text` into `out`; false when it is not a JSON object (then `err` is the refusal:
/// bad_json or bad_request).
bool parse_object(std::string_view text, boost::json::value& out, client_command& err);

/// The member `key`, or null when absent.
const boost::json::value* member(const boost::json::object& o, std::string_view key);

/// Optional string member: absent or null leave `out` alone (true), a string is copied (true),
/// anything else is refused (false).
bool optional_string(const boost::json::object& o, std::string_view key, std::string& out);

/// Compiles `spec` (FILTERS.md) into `c.filter`; false with `c` made invalid_filter on error.
bool compile_into(const boost::json::object& spec, client_command& c);

} // namespace sy::codec
