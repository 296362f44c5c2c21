#pragma once
// The key table: one row per setting, the single source of every key's name, type, environment
// names, bounds and one-line doc. The loader (file, environment, --set) and check-config read
// it; tests/unit/config_keys_test.cpp checks config/switchyard.conf and README.md's
// configuration table against it. The default of a key is the value of its field in a
// default-constructed `config` (config/config.hpp), read through the row.
//
// Adding a setting: a field in `config`, a row in config/keys.cpp, the key in
// config/switchyard.conf with its reason, a row in README.md (the test prints the row to paste);
// a listener setting also gets a line in server_options_from (net/bridge/server_config.hpp).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "config/config.hpp"

namespace sy {

enum class key_type : std::uint8_t {
  integer, // non-negative; a value the field's type cannot hold is refused
  boolean, // 1/0/true/false/yes/no/on/off
  string,
  list,    // strings: a JSON array in the file, a comma list in the environment and --set
  json,    // structured (namespaces, auth.keys): JSON text everywhere
};

struct config_key {
  std::string key;              // dotted, as in the config file and --set
  key_type type = key_type::string;
  std::vector<std::string> env; // explicit environment names, canonical first (may be empty)
  std::function<std::string(config&, std::string_view)> set; // error text, "" on success
  std::function<boost::json::value(const config&)> get;
  bool secret = false;          // check-config prints "<set, N bytes>" instead of the value
  std::string doc;              // one line: README's "meaning" column
  // Integer keys: validate_config refuses a value outside [min, max] (max starts as the
  // largest value of the field's type). Conditions between keys are in validate_config only.
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::uint64_t type_max = 0;
  std::vector<std::string> choices; // string keys with a closed set of values

  /// The embedded default, as check-config prints it (before masking).
  boost::json::value default_value() const;
  /// Environment names README lists: the explicit ones, else the derived SWITCHYARD_<KEY>.
  std::vector<std::string> documented_env() const;

  config_key&& describe(std::string text) && {
    doc = std::move(text);
    return std::move(*this);
  }
  config_key&& at_least(std::uint64_t v) && {
    min = v;
    return std::move(*this);
  }
  config_key&& at_most(std::uint64_t v) && {
    max = v;
    return std::move(*this);
  }
  config_key&& one_of(std::vector<std::string> v) && {
    choices = std::move(v);
    return std::move(*this);
  }
};

/// Every setting, in check-config's output order.
const std::vector<config_key>& config_keys();
/// The row of a dotted key, nullptr when there is none.
const config_key* find_config_key(std::string_view key);
/// "SWITCHYARD_" + the key upper-cased, dots as underscores: every key answers to it.
std::string derived_env_name(std::string_view key);

} // namespace sy
