#include "net/bridge/cli_json.hpp"

#include "schema/json_text.hpp"

#include <boost/json/serialize.hpp>

namespace sy {

namespace {

void write(const boost::json::value& v, std::string& out, std::size_t depth) {
  auto newline = [&](std::size_t d) {
    out += '\n';
    out.append(2 * d, ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& m : v.get_object()) {
      if (!first)
        out += ',';
      first = false;
      newline(depth + 1);
      out += boost::json::serialize(boost::json::value(m.key()));
      out += ": ";
      write(m.value(), out, depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first)
        out += ',';
      first = false;
      newline(depth + 1);
      write(e, out, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    append_json_value(out, v); // 29.99 as written, not 2.999E1
  }
}

} // namespace

std::string pretty_json(const boost::json::value& v) {
  std::string out;
  write(v, out, 0);
  return out;
}

} // namespace sy
