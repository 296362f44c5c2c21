#include "schema/json_text.hpp"

#include <charconv>

#include <cmath>

#include <boost/json/serialize.hpp>

namespace sy {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

std::string string_object(std::initializer_list<string_member> members) {
  std::string out = "{";
  for (const auto& m : members) {
    if (m.optional && m.value.empty())
      continue;
    if (out.size() > 1)
      out += ',';
    append_json_string(out, m.key);
    out += ':';
    append_json_string(out, m.value);
  }
  out += '}';
  return out;
}

void append_json_value(std::string& out, const boost::json::value& v) {
  namespace json = boost::json;
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::int64:
      out += std::to_string(v.get_int64());
      return;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      return;
    case json::kind::double_: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
      std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
      out += text;
      // 1e+20 is JSON; a whole double printed as "3" stays a double for readers that care.
      if (text.find_first_of(".e") == std::string_view::npos)
        out += ".0";
      return;
    }
    case json::kind::string:
      append_json_string(out, std::string_view(v.get_string().data(), v.get_string().size()));
      return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out += ',';
        first = false;
        append_json_value(out, e);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first)
          out += ',';
        first = false;
        append_json_string(out, kv.key());
        out += ':';
        append_json_value(out, kv.value());
      }
      out += '}';
      return;
    }
  }
}

bool finite_numbers(const boost::json::value& v) noexcept {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (!finite_numbers(e))
          return false;
      return true;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (!finite_numbers(kv.value()))
          return false;
      return true;
    default:
      return true;
  }
}

std::string scalar_text(const boost::json::value& v) {
  if (v.is_string()) {
    const auto& s = v.get_string();
    return std::string(s.data(), s.size());
  }
  return boost::json::serialize(v);
}

} // namespace sy
