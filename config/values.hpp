#pragma once
// Parsers and printers of setting values, shared by the key table (config/keys.cpp) and the
// file loader (config/load.cpp). Parsers return the error text, empty on success.
#include <charconv>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "config/config.hpp"

namespace sy::config_values {

std::string trim(std::string_view s);

template <class T>
std::string parse_uint(std::string_view v, T& out) {
  auto t = trim(v);
  unsigned long long x = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), x);
  if (t.empty() || r.ec != std::errc{} || r.ptr != t.data() + t.size())
    return "expected a non-negative integer, got \"" + std::string(v) + "\"";
  // Refused rather than wrapped: 65536 must not become cluster.port 0.
  constexpr auto max = static_cast<unsigned long long>(std::numeric_limits<T>::max());
  if (x > max)
    return "expected a non-negative integer up to " + std::to_string(max) + ", got \""
           + std::string(v) + "\"";
  out = static_cast<T>(x);
  return {};
}

std::string parse_bool(std::string_view v, bool& out);
/// "a, b,,c" -> {"a","b","c"}: empty items are dropped.
std::vector<std::string> split_list(std::string_view v);
std::string parse_namespaces(std::string_view v, std::vector<namespace_config>& out);
boost::json::value namespaces_json(const std::vector<namespace_config>& v);
std::string parse_keys(std::string_view v, std::vector<jwt_key_config>& out);
/// Secrets masked: this printer only feeds check-config's output.
boost::json::value keys_json(const std::vector<jwt_key_config>& v);

} // namespace sy::config_values
