// Config file parsing (config/load.cpp apply_config_text: the text of --config, JSON with
// comments and trailing commas). For an accepted file:
// - every integer or boolean setting in the file is the value the config ends up with (a
//   number the setting cannot hold must be refused, not wrapped or truncated);
// - the effective config as check-config prints it (describe_config) is JSON that, applied as
//   a config file again, gives the same config (secrets aside: they print masked);
// - validate_config answers (with the file paths cleared, so the target touches no files).
#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "config/config.hpp"
#include "config/keys.hpp"
#include "fuzz_check.hpp"

namespace {

namespace json = boost::json;

// Dotted keys as the loader sees them; the last occurrence of a key is the one that stays.
void flatten(const json::object& o, const std::string& prefix,
             std::vector<std::pair<std::string, json::value>>& out) {
  for (const auto& kv : o) {
    std::string key = prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key());
    if (kv.value().is_object() && key != "namespaces")
      flatten(kv.value().get_object(), key, out);
    else
      out.emplace_back(std::move(key), kv.value());
  }
}

bool is_integer(const json::value& v) {
  return v.is_int64() || v.is_uint64();
}

__int128 integer(const json::value& v) {
  return v.is_int64() ? static_cast<__int128>(v.get_int64()) : static_cast<__int128>(v.get_uint64());
}

// Masked by check-config ("<set, N bytes>"), so not shown again as set: the key table says
// which keys are secret; auth.keys holds secrets inside its entries.
bool secret_key(std::string_view k) {
  const auto* key = sy::find_config_key(k);
  return k == "auth.keys" || (key && key->secret);
}

json::object described(const sy::config& c) {
  boost::system::error_code ec;
  auto v = json::parse(sy::describe_config(c), ec);
  FUZZ_CHECK(!ec && v.is_object());
  return v.get_object();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = sy::fuzz::as_text(data, size);
  sy::config cfg;
  if (!sy::apply_config_text(cfg, text).empty())
    return 0;
  auto shown = described(cfg);

  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  boost::system::error_code ec;
  auto file = json::parse(text, ec, {}, opts);
  FUZZ_CHECK(!ec && file.is_object());
  std::vector<std::pair<std::string, json::value>> items;
  flatten(file.get_object(), "", items);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& [key, value] = items[i];
    bool overridden = false;
    for (std::size_t j = i + 1; j < items.size(); ++j)
      overridden = overridden || items[j].first == key;
    auto* now = shown.if_contains(key);
    if (overridden || !now)
      continue;
    if (is_integer(value) && is_integer(*now))
      FUZZ_CHECK(integer(value) == integer(*now));
    if (value.is_bool() && now->is_bool())
      FUZZ_CHECK(value.get_bool() == now->get_bool());
  }

  sy::config again;
  FUZZ_CHECK(sy::apply_config_text(again, json::serialize(shown)).empty());
  auto shown_again = described(again);
  for (const auto& kv : shown)
    if (!secret_key(kv.key()))
      FUZZ_CHECK(shown_again.at(kv.key()) == kv.value());

  auto hermetic = cfg;
  hermetic.tls_cert_file.clear();
  hermetic.tls_key_file.clear();
  hermetic.jwks_file.clear();
  for (auto& k : hermetic.auth_keys)
    k.pem_file.clear();
  sy::validate_config(hermetic);
  return 0;
}
