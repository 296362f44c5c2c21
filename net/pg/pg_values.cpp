// PostgreSQL's text output of one column value -> JSON (append_value_json, change_json.hpp).
// The session runs with DateStyle ISO, TimeZone UTC, bytea_output hex and extra_float_digits 3,
// so each type has one known text form; a text that does not have it (a BC date, a server
// with other settings) keeps its text as a JSON string rather than becoming a wrong value.
// Whatever comes in, what goes out is one valid JSON value with finite numbers only.
#include <charconv>
#include <system_error>

#include <boost/json/parse.hpp>

#include "net/pg/change_json.hpp"
#include "net/pg/pg_values.hpp"
#include "schema/json_text.hpp"

namespace sy::pg {

namespace {

/// Length of the well-formed UTF-8 sequence at s[i] (Unicode Table 3-7), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto c = b(0);
  if (c < 0x80)
    return 1;
  std::size_t n = 0;
  unsigned lo = 0x80, hi = 0xbf; // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    lo = c == 0xe0 ? 0xa0 : 0x80;
    hi = c == 0xed ? 0x9f : 0xbf;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    lo = c == 0xf0 ? 0x90 : 0x80;
    hi = c == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (s.size() - i < n || b(1) < lo || b(1) > hi)
    return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf)
      return 0;
  return n;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::size_t count_digits(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i + n < s.size() && is_digit(s[i + n]))
    ++n;
  return n;
}

/// int2/int4/int8/oid: -?(0|[1-9][0-9]*), at most 20 digits (int8's range needs 19, oid 10):
/// digits the server never sends are a string, not a number a reader might turn into inf.
bool integer_text(std::string_view s) {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  auto n = count_digits(s, i);
  return n >= 1 && n <= 20 && i + n == s.size() && !(n > 1 && s[i] == '0');
}

/// The JSON number grammar (RFC 8259): -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?
bool json_number_text(std::string_view s) {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  auto n = count_digits(s, i);
  if (n == 0 || (n > 1 && s[i] == '0'))
    return false;
  i += n;
  if (i < s.size() && s[i] == '.') {
    n = count_digits(s, i + 1);
    if (n == 0)
      return false;
    i += 1 + n;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
      ++i;
    n = count_digits(s, i);
    if (n == 0)
      return false;
    i += n;
  }
  return i == s.size();
}

/// float4/float8 with extra_float_digits 3: the shortest text that reads back exactly
/// ("1.5", "1e+20"). NaN and the infinities have no JSON number, so they stay strings; so does
/// a text out of the double's range, and one Boost.JSON would not read as a finite number
/// (it reads 0e400 as NaN, which it then writes as the non-JSON `NaN`).
bool float_text(std::string_view s) {
  if (!json_number_text(s))
    return false;
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size())
    return false;
  boost::json::error_code ec;
  auto v = boost::json::parse(s, ec);
  return !ec && finite_numbers(v);
}

/// numeric -> a JSON number only when every reader gets the same value back: PostgreSQL
/// prints numeric as plain decimal digits (never an exponent), and a decimal of at most 15
/// significant digits (DBL_DIG) converts to an IEEE double and back to the same digits, as
/// long as its magnitude stays in the double's normal range; so at most 15 significant
/// digits (leading and trailing zeros do not count) and the first significant digit at a
/// decimal exponent between -307 and 307. Otherwise (more digits, NaN, Infinity) the exact
/// text as a JSON string, so no precision is lost silently.
bool numeric_fits_double(std::string_view s) {
  std::size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  auto int_len = count_digits(s, i);
  if (int_len == 0 || (int_len > 1 && s[i] == '0'))
    return false;
  auto int_part = s.substr(i, int_len);
  std::string_view frac_part;
  i += int_len;
  if (i < s.size()) {
    if (s[i] != '.')
      return false;
    auto n = count_digits(s, i + 1);
    if (n == 0 || i + 1 + n != s.size())
      return false;
    frac_part = s.substr(i + 1, n);
  }
  // Position of the first and last non-zero digit over int_part followed by frac_part.
  std::string digits;
  digits.reserve(int_part.size() + frac_part.size());
  digits.append(int_part).append(frac_part);
  auto first = digits.find_first_not_of('0');
  if (first == std::string::npos)
    return true; // zero
  auto last = digits.find_last_not_of('0');
  if (last - first + 1 > 15)
    return false;
  auto exponent = static_cast<long long>(int_part.size()) - 1 - static_cast<long long>(first);
  return exponent >= -307 && exponent <= 307;
}

/// json/jsonb: the text itself, without the whitespace between tokens (jsonb prints
/// `{"a": 1}`), when Boost.JSON reads it (default limits: nesting depth 32, valid UTF-8) and
/// its numbers are finite (1e400 would read back as infinity); else false.
bool append_json_text(std::string& out, std::string_view text) {
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !finite_numbers(v))
    return false;
  // The text is valid JSON here, so a simple scan that knows strings and escapes suffices.
  // The number digits are kept as written (a parse/serialize would rewrite 1.0 as 1E0).
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size())
        out.push_back(text[++i]);
      else if (c == '"')
        in_string = false;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out.push_back(c);
      in_string = c == '"';
    }
  }
  return true;
}

/// "YYYY-MM-DD HH:MM:SS[.f+]" -> length of that prefix, or 0. The year may have more than 4
/// digits (PostgreSQL allows up to 294276); " BC" and other suffixes are left to the caller.
std::size_t iso_datetime_prefix(std::string_view s) {
  auto y = count_digits(s, 0);
  if (y < 4)
    return 0;
  static constexpr char shape[] = "-dd-dd dd:dd:dd"; // 'd' = a digit
  std::size_t i = y;
  for (const char* p = shape; *p; ++p, ++i) {
    if (i >= s.size() || (*p == 'd' ? !is_digit(s[i]) : s[i] != *p))
      return 0;
  }
  if (i < s.size() && s[i] == '.') {
    auto n = count_digits(s, i + 1);
    if (n == 0)
      return 0;
    i += 1 + n;
  }
  return i;
}

/// timestamp: "2024-01-15 10:00:00.5" -> "2024-01-15T10:00:00.5"; anything else as is.
void append_timestamp(std::string& out, std::string_view text) {
  auto n = iso_datetime_prefix(text);
  if (n == 0 || n != text.size()) {
    append_text_json(out, text);
    return;
  }
  std::string iso(text);
  iso[iso.find(' ')] = 'T';
  append_text_json(out, iso);
}

/// timestamptz: "2024-01-15 10:00:00.123+00" -> "2024-01-15T10:00:00.123Z". With TimeZone UTC
/// the offset is always +00; another whole-minute offset (a server not set up as the session
/// asks) keeps its offset in ISO form ("+05:30"). Anything else (infinity, BC) as is.
void append_timestamptz(std::string& out, std::string_view text) {
  auto n = iso_datetime_prefix(text);
  auto off = n == 0 ? std::string_view{} : text.substr(n);
  // ±HH or ±HH:MM
  bool shaped = (off.size() == 3 || (off.size() == 6 && off[3] == ':'))
                && (off[0] == '+' || off[0] == '-') && is_digit(off[1]) && is_digit(off[2])
                && (off.size() == 3 || (is_digit(off[4]) && is_digit(off[5])));
  if (!shaped) {
    append_text_json(out, text);
    return;
  }
  std::string iso(text.substr(0, n));
  iso[iso.find(' ')] = 'T';
  std::string hh(off.substr(1, 2)), mm(off.size() == 6 ? off.substr(4, 2) : "00");
  if (hh == "00" && mm == "00")
    iso += 'Z';
  else
    iso.append(1, off[0]).append(hh).append(":").append(mm);
  append_text_json(out, iso);
}

} // namespace

void append_text_json(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto n = utf8_sequence(s, i);
    if (n == 0)
      break;
    i += n;
  }
  if (i == s.size()) { // the usual case: valid as it is
    append_json_string(out, s);
    return;
  }
  std::string repaired(s.substr(0, i));
  while (i < s.size()) {
    auto n = utf8_sequence(s, i);
    if (n == 0) {
      repaired += "\xEF\xBF\xBD"; // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      repaired.append(s.substr(i, n));
      i += n;
    }
  }
  append_json_string(out, repaired);
}

std::uint32_t array_element_type(std::uint32_t array_oid) noexcept {
  switch (array_oid) {
    case 1000: return 16;   // _bool
    case 1005: return 21;   // _int2
    case 1007: return 23;   // _int4
    case 1016: return 20;   // _int8
    case 1009: return 25;   // _text
    case 1015: return 1043; // _varchar
    case 1014: return 1042; // _bpchar
    case 1021: return 700;  // _float4
    case 1022: return 701;  // _float8
    case 1231: return 1700; // _numeric
    case 2951: return 2950; // _uuid
    case 199: return 114;   // _json
    case 3807: return 3802; // _jsonb
    case 1115: return 1114; // _timestamp
    case 1185: return 1184; // _timestamptz
    case 1182: return 1082; // _date
    case 1003: return 19;   // _name
    case 1028: return 26;   // _oid
    default: return 0;
  }
}

void append_value_json(std::string& out, std::uint32_t type_oid, std::string_view text) {
  switch (type_oid) {
    case 16: // bool
      if (text == "t" || text == "f") {
        out += text == "t" ? "true" : "false";
        return;
      }
      break;
    case 21: // int2
    case 23: // int4
    case 20: // int8
    case 26: // oid
      if (integer_text(text)) {
        out += text;
        return;
      }
      break;
    case 700: // float4
    case 701: // float8
      if (float_text(text)) {
        out += text;
        return;
      }
      break;
    case 1700: // numeric
      if (numeric_fits_double(text)) {
        out += text;
        return;
      }
      break;
    case 114:  // json
    case 3802: // jsonb
      if (append_json_text(out, text))
        return;
      break;
    case 1114:
      append_timestamp(out, text);
      return;
    case 1184:
      append_timestamptz(out, text);
      return;
    default:
      if (auto element = array_element_type(type_oid); element != 0) {
        auto mark = out.size();
        if (append_array_json(out, element, text))
          return;
        out.resize(mark); // malformed: the whole text as a string
      }
      break;
  }
  // text, varchar, bpchar, name, char, uuid, date, time, timetz, bytea ("\x0102"), every
  // other type, and any text above that is not in its type's expected form.
  append_text_json(out, text);
}

} // namespace sy::pg
