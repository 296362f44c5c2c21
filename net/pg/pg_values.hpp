#pragma once
// Parts of the value mapping (append_value_json, change_json.hpp) shared by pg_values.cpp and
// pg_array.cpp, and exposed for tests.
#include <cstdint>
#include <string>
#include <string_view>

namespace sy::pg {

/// `s` as a JSON string. PostgreSQL sends UTF-8 here, but a database in SQL_ASCII encoding can
/// hold any bytes: each byte that does not start a well-formed UTF-8 sequence becomes U+FFFD,
/// so the event is valid JSON whatever the table holds.
void append_text_json(std::string& out, std::string_view s);

/// The element type of the array types mapped element by element (_int4 1007 -> int4 23,
/// the list in CHANGE-CAPTURE.md); 0 for any other type, whose array text stays a string.
std::uint32_t array_element_type(std::uint32_t array_oid) noexcept;

/// An array literal ("{1,2,NULL}", "{{1,2},{3,4}}", "[0:1]={a,b}") as a JSON array whose
/// elements go through append_value_json(element_oid). False on a malformed literal (then
/// `out` may hold part of the array: the caller cuts it back).
bool append_array_json(std::string& out, std::uint32_t element_oid, std::string_view text);

} // namespace sy::pg
