#include "schema/filter_values.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "schema/json_text.hpp"

namespace sy::filter_detail {

namespace {

// -- canonical text (compile time only) -------------------------------------------------------

void append_canonical_number(std::string& out, const json::value& v) {
  if (v.is_int64()) {
    out += std::to_string(v.get_int64());
    return;
  }
  if (v.is_uint64()) {
    out += std::to_string(v.get_uint64());
    return;
  }
  // Integral doubles print as integers so that 100 and 100.0 (equal filters) share a key.
  double d = v.get_double();
  if (d == std::trunc(d)) {
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      out += std::to_string(static_cast<std::int64_t>(d)); // -0.0 prints as 0
      return;
    }
    if (d >= 0 && d < 18446744073709551616.0) {
      out += std::to_string(static_cast<std::uint64_t>(d));
      return;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d); // round-trips every double
  out += buf;
}

/// A text equal for json_equal-equal values and different otherwise.
void append_canonical(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: append_canonical_number(out, v); break;
    case json::kind::string: append_json_string(out, v.get_string()); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out += ',';
        first = false;
        append_canonical(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> kvs;
      for (const auto& kv : v.get_object())
        kvs.push_back(&kv);
      std::sort(kvs.begin(), kvs.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* kv : kvs) {
        if (!first)
          out += ',';
        first = false;
        append_json_string(out, kv->key());
        out += ':';
        append_canonical(out, kv->value());
      }
      out += '}';
      break;
    }
  }
}

} // namespace

std::string canonical(const json::value& v) {
  std::string out;
  append_canonical(out, v);
  return out;
}

} // namespace sy::filter_detail
