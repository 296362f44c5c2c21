#pragma once
// Builders of the key table's rows (config/keys.cpp, config/keys_router.cpp), and the table's
// parts. Internal to sy_config.
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include "config/keys.hpp"
#include "config/values.hpp"

namespace sy::key_rows {

using namespace config_values;

inline config_key row(std::string key, key_type type, std::vector<std::string> env) {
  config_key k;
  k.key = std::move(key);
  k.type = type;
  k.env = std::move(env);
  return k;
}

template <class T>
inline config_key uint_key(std::string key, std::vector<std::string> env, T config::*m) {
  auto k = row(std::move(key), key_type::integer, std::move(env));
  k.set = [m](config& c, std::string_view v) { return parse_uint(v, c.*m); };
  k.get = [m](const config& c) { return boost::json::value(static_cast<std::uint64_t>(c.*m)); };
  k.max = k.type_max = std::numeric_limits<T>::max();
  return k;
}

// Durations are int64 but never negative: they parse like the unsigned keys.
inline config_key int_key(std::string key, std::vector<std::string> env, std::int64_t config::*m) {
  auto k = row(std::move(key), key_type::integer, std::move(env));
  k.set = [m](config& c, std::string_view v) { return parse_uint(v, c.*m); };
  k.get = [m](const config& c) { return boost::json::value(c.*m); };
  k.max = k.type_max = std::numeric_limits<std::int64_t>::max();
  return k;
}

inline config_key filter_key(std::string key, std::size_t filter_limits::*m) {
  auto k = row(std::move(key), key_type::integer, {});
  k.set = [m](config& c, std::string_view v) { return parse_uint(v, c.filter.*m); };
  k.get = [m](const config& c) { return boost::json::value(static_cast<std::uint64_t>(c.filter.*m)); };
  k.max = k.type_max = std::numeric_limits<std::size_t>::max();
  return k;
}

inline config_key string_key(std::string key, std::vector<std::string> env, std::string config::*m,
                      bool secret = false) {
  auto k = row(std::move(key), key_type::string, std::move(env));
  k.set = [m](config& c, std::string_view v) {
    c.*m = std::string(v);
    return std::string{};
  };
  k.get = [m](const config& c) { return boost::json::value(c.*m); };
  k.secret = secret;
  return k;
}

inline config_key bool_key(std::string key, std::vector<std::string> env, bool config::*m) {
  auto k = row(std::move(key), key_type::boolean, std::move(env));
  k.set = [m](config& c, std::string_view v) { return parse_bool(v, c.*m); };
  k.get = [m](const config& c) { return boost::json::value(c.*m); };
  return k;
}

inline config_key list_key(std::string key, std::vector<std::string> env,
                    std::vector<std::string> config::*m) {
  auto k = row(std::move(key), key_type::list, std::move(env));
  k.set = [m](config& c, std::string_view v) {
    c.*m = split_list(v);
    return std::string{};
  };
  k.get = [m](const config& c) {
    boost::json::array a;
    for (const auto& s : c.*m)
      a.emplace_back(s);
    return boost::json::value(std::move(a));
  };
  return k;
}

// The table's parts, in the order check-config lists them.
std::vector<config_key> network_keys();
std::vector<config_key> auth_keys();
std::vector<config_key> realtime_keys();
std::vector<config_key> cluster_and_dialect_keys();
std::vector<config_key> channel_keys();
std::vector<config_key> storage_keys();
std::vector<config_key> runtime_keys();
std::vector<config_key> rooms_keys(); // keys_rooms.cpp
std::vector<config_key> metrics_keys(); // keys_metrics.cpp
std::vector<config_key> console_keys(); // keys_console.cpp
std::vector<config_key> source_keys();  // keys_sources.cpp

} // namespace sy::key_rows
