// Builds the effective config: defaults, then the config file, the environment and --set
// flags, each applied through the key table (config/keys.cpp); check-config's printer.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "config/values.hpp"

namespace json = boost::json;

namespace sy {

namespace {

using config_values::trim;

// Flattens nested objects to dotted keys; arrays and scalars are leaves.
void flatten(const json::object& o, const std::string& prefix,
             std::vector<std::pair<std::string, const json::value*>>& out) {
  for (const auto& kv : o) {
    std::string key = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    if (kv.value().is_object() && key != "namespaces")
      flatten(kv.value().get_object(), key, out);
    else
      out.emplace_back(std::move(key), &kv.value());
  }
}

std::string value_text(const json::value& v) {
  if (v.is_string())
    return std::string(v.get_string());
  if (v.is_array()) {
    // lists of strings (origins) become comma lists; namespaces stay JSON
    bool all_strings = std::all_of(v.get_array().begin(), v.get_array().end(),
                                   [](const json::value& x) { return x.is_string(); });
    if (all_strings) {
      std::string out;
      for (const auto& x : v.get_array()) {
        if (!out.empty())
          out += ',';
        out += std::string(x.get_string());
      }
      return out;
    }
  }
  return json::serialize(v);
}

std::string load_file(const std::string& path, config& cfg) {
  std::ifstream in(path);
  if (!in)
    return "cannot read config file " + path;
  std::stringstream ss;
  ss << in.rdbuf();
  auto err = apply_config_text(cfg, ss.str());
  return err.empty() ? err : path + ": " + err;
}

} // namespace

std::string apply_config_text(config& cfg, std::string_view text) {
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec)
    return "invalid JSON: " + ec.message();
  if (!v.is_object())
    return "top level must be an object";
  std::vector<std::pair<std::string, const json::value*>> items;
  flatten(v.get_object(), "", items);
  for (const auto& [key, val] : items) {
    // Structured settings travel as JSON text; value_text would turn lists into comma lists.
    const auto* row = find_config_key(key);
    bool structured = row && row->type == key_type::json;
    auto err = apply_setting(cfg, key, structured ? json::serialize(*val) : value_text(*val));
    if (!err.empty())
      return err;
  }
  return {};
}

std::string apply_setting(config& cfg, std::string_view key, std::string_view value) {
  if (const auto* f = find_config_key(key)) {
    auto err = f->set(cfg, value);
    return err.empty() ? err : std::string(key) + ": " + err;
  }
  return "unknown setting \"" + std::string(key) + "\"";
}

config_result load_config(const std::optional<std::string>& config_file,
                          const std::vector<std::string>& flag_sets) {
  config_result r;
  std::optional<std::string> file = config_file;
  if (!file)
    if (const char* e = std::getenv("SWITCHYARD_CONFIG"); e && *e)
      file = std::string(e);
  if (file) {
    r.source_file = *file;
    r.error = load_file(*file, r.cfg);
    if (!r.error.empty())
      return r;
  }
  for (const auto& f : config_keys()) {
    // Every key also answers to SWITCHYARD_<KEY> (dots -> underscores); the listed names are
    // applied after it, the canonical (first) one last so that it wins.
    std::vector<std::string> names{derived_env_name(f.key)};
    names.insert(names.end(), f.env.rbegin(), f.env.rend());
    for (auto it = names.begin(); it != names.end(); ++it)
      if (const char* e = std::getenv(it->c_str())) {
        auto err = f.set(r.cfg, e);
        if (!err.empty()) {
          r.error = *it + ": " + err;
          return r;
        }
      }
  }
  for (const auto& s : flag_sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos) {
      r.error = "--set expects key=value, got \"" + s + "\"";
      return r;
    }
    r.error = apply_setting(r.cfg, trim(s.substr(0, eq)), s.substr(eq + 1));
    if (!r.error.empty())
      return r;
  }
  r.error = validate_config(r.cfg);
  return r;
}

std::string describe_config(const config& c) {
  json::object o;
  for (const auto& f : config_keys()) {
    if (f.secret) {
      auto v = f.get(c);
      o[f.key] = "<set, " + std::to_string(v.get_string().size()) + " bytes>";
    } else {
      o[f.key] = f.get(c);
    }
  }
  return json::serialize(o);
}

} // namespace sy
