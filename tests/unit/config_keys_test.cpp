// The key table (config/keys.cpp) is the one source of every setting: the sample file and
// README.md's configuration table are checked against it here, and so are the bounds
// validate_config enforces.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "config/keys.hpp"
#include "net/bridge/server_config.hpp"

namespace json = boost::json;
using namespace sy;

namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(SWITCHYARD_SOURCE_DIR "/" + relative);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Dotted keys as the loader sees them (config/load.cpp): nested objects flatten, the rest are
// values.
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

/// The value `key` ends up with when a config file sets it to `documented`, as check-config
/// would print it; an error text when the loader refuses it.
json::value as_loaded(const config_key& k, const json::value& documented) {
  config c;
  json::object file{{k.key, documented}};
  if (auto err = apply_config_text(c, json::serialize(file)); !err.empty())
    return json::value(err);
  return k.get(c);
}

std::string bounds_text(const config_key& k) {
  if (!k.choices.empty()) {
    std::string out;
    for (const auto& c : k.choices)
      out += (out.empty() ? "`" : ", `") + c + "`";
    return out;
  }
  if (k.type != key_type::integer)
    return "";
  if (k.max < k.type_max)
    return std::to_string(k.min) + " to " + std::to_string(k.max);
  return k.min > 0 ? "at least " + std::to_string(k.min) : "";
}

std::string env_text(const config_key& k) {
  std::string out;
  for (const auto& e : k.documented_env())
    out += (out.empty() ? "`" : ", `") + e + "`";
  return out;
}

/// The README row for `k`, printed when the README disagrees with the table.
std::string readme_row(const config_key& k) {
  return "| `" + k.key + "` | " + env_text(k) + " | `" + json::serialize(k.default_value())
         + "` | " + bounds_text(k) + " | " + k.doc + " |";
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string unquote(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
    return cell.substr(1, cell.size() - 2);
  return cell;
}

/// Rows of the first table under "## Configuration" whose header starts with "| key |",
/// keyed by the key without backticks; each row is its cells.
std::map<std::string, std::vector<std::string>> readme_rows(const std::string& text) {
  std::map<std::string, std::vector<std::string>> rows;
  auto section = text.find("\n## Configuration\n");
  REQUIRE(section != std::string::npos);
  auto table = text.find("\n| key |", section);
  REQUIRE(table != std::string::npos);
  auto pos = text.find('\n', table + 1) + 1; // header
  pos = text.find('\n', pos) + 1;            // separator
  while (pos < text.size() && text[pos] == '|') {
    auto end = text.find('\n', pos);
    std::string line = text.substr(pos, end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    std::vector<std::string> cells;
    std::string cell;
    for (std::size_t i = 1; i < line.size(); ++i) { // cells split at '|' not escaped as "\|"
      if (line[i] == '|' && line[i - 1] != '\\') {
        cells.push_back(trim(cell));
        cell.clear();
      } else {
        cell += line[i];
      }
    }
    REQUIRE(!cells.empty());
    auto key = unquote(cells.front());
    CHECK(rows.count(key) == 0); // documented twice
    rows[key] = cells;
  }
  return rows;
}

} // namespace

TEST_CASE("the sample config holds every key of the table with its default", "[unit][config]") {
  json::parse_options opts;
  opts.allow_comments = true;
  opts.allow_trailing_commas = true;
  auto sample = json::parse(read_source("config/switchyard.conf"), {}, opts);
  std::vector<std::pair<std::string, json::value>> items;
  flatten(sample.as_object(), "", items);
  std::set<std::string> seen;
  for (const auto& [key, value] : items) {
    INFO("config/switchyard.conf: " << key);
    const auto* k = find_config_key(key);
    CHECK(k != nullptr); // in the sample but not in the table
    if (!k)
      continue;
    CHECK(seen.insert(key).second);
    CHECK(as_loaded(*k, value) == k->default_value());
  }
  for (const auto& k : config_keys()) {
    INFO("missing from config/switchyard.conf: " << k.key << " (default "
                                                  << json::serialize(k.default_value()) << ")");
    CHECK(seen.count(k.key) == 1);
  }
}

TEST_CASE("the README configuration table documents every key of the table", "[unit][config]") {
  auto rows = readme_rows(read_source("README.md"));
  for (const auto& [key, cells] : rows) {
    INFO("README.md row " << key);
    CHECK(find_config_key(key) != nullptr); // documented but not in the table
  }
  for (const auto& k : config_keys()) {
    INFO("README.md row for " << k.key << " should read:\n" << readme_row(k));
    auto it = rows.find(k.key);
    REQUIRE(it != rows.end());
    const auto& cells = it->second;
    REQUIRE(cells.size() == 5); // key, environment, default, bounds, meaning
    CHECK(cells[1] == env_text(k));
    json::error_code ec;
    auto documented = json::parse(unquote(cells[2]), ec);
    CHECK_FALSE(ec);
    if (!ec)
      CHECK(as_loaded(k, documented) == k.default_value());
    CHECK(cells[3] == bounds_text(k));
    CHECK(cells[4] == k.doc);
  }
}

TEST_CASE("validate_config enforces the bounds of the key table", "[unit][config]") {
  for (const auto& k : config_keys()) {
    INFO(k.key);
    config defaults;
    CHECK(validate_config(defaults).empty());
    if (k.type == key_type::integer) {
      auto d = k.default_value();
      auto v = d.is_uint64() ? d.get_uint64() : static_cast<std::uint64_t>(d.as_int64());
      CHECK(v >= k.min);
      CHECK(v <= k.max);
      if (k.min > 0) {
        config c;
        REQUIRE(apply_setting(c, k.key, std::to_string(k.min - 1)).empty());
        CHECK_FALSE(validate_config(c).empty());
      }
      if (k.max < k.type_max) {
        config c;
        REQUIRE(apply_setting(c, k.key, std::to_string(k.max + 1)).empty());
        CHECK_FALSE(validate_config(c).empty());
      }
    }
    for (const auto& choice : k.choices) {
      config c;
      REQUIRE(apply_setting(c, k.key, choice).empty());
      CHECK(validate_config(c).empty());
    }
    if (!k.choices.empty()) {
      config c;
      REQUIRE(apply_setting(c, k.key, "none-of-these").empty());
      CHECK_FALSE(validate_config(c).empty());
    }
  }
}

TEST_CASE("every key answers to its environment names", "[unit][config]") {
  for (const auto& k : config_keys()) {
    if (k.type == key_type::json)
      continue; // namespaces and auth.keys: covered by config_test.cpp
    std::string text;
    json::value expected;
    switch (k.type) {
      case key_type::integer:
        text = "7777";
        expected = k.get(config{}).is_int64() ? json::value(std::int64_t{7777})
                                              : json::value(std::uint64_t{7777});
        break;
      case key_type::boolean:
        text = k.default_value().as_bool() ? "0" : "1";
        expected = !k.default_value().as_bool();
        break;
      case key_type::list:
        text = "a.example:1,b.example:2";
        expected = json::array{"a.example:1", "b.example:2"};
        break;
      default:
        text = "from-env";
        expected = "from-env";
    }
    auto names = k.documented_env();
    names.push_back(derived_env_name(k.key)); // every key answers to it too
    for (const auto& name : names) {
      INFO(k.key << " from " << name);
      ::setenv(name.c_str(), text.c_str(), 1);
      auto r = load_config(std::nullopt, {});
      ::unsetenv(name.c_str());
      CHECK(k.get(r.cfg) == expected); // r.error may be a bound: the value is still applied
    }
  }
  CHECK(derived_env_name("http.max_connections_per_ip")
        == "SWITCHYARD_HTTP_MAX_CONNECTIONS_PER_IP");
  CHECK(find_config_key("no.such.key") == nullptr);
}

TEST_CASE("the listener options come from the config", "[unit][config]") {
  config c;
  for (auto set : {"listen=10.1.2.3:4567", "io_threads=3", "http.max_body_bytes=2001",
                   "http.max_header_bytes=2002", "realtime.max_frame_bytes=2003",
                   "realtime.max_frames_per_s=2004", "realtime.outbound_queue_bytes=2005",
                   "request_timeout_ms=2006", "http.handshake_timeout_ms=2007",
                   "http.max_connections=2008", "http.max_connections_per_ip=2009",
                   "http.loopback_reserve=2010", "http.max_pending_reply_bytes=2011",
                   "http.max_pending_reply_bytes_total=2012", "realtime.close_timeout_ms=2013",
                   "tls.cert_file=c.pem", "tls.key_file=k.pem", "tls.min_version=1.3"}) {
    std::string s(set);
    auto eq = s.find('=');
    REQUIRE(apply_setting(c, s.substr(0, eq), s.substr(eq + 1)).empty());
  }
  auto o = server_options_from(c);
  CHECK(o.host == "10.1.2.3");
  CHECK(o.port == 4567);
  CHECK(o.io_threads == 3);
  CHECK(o.max_body_bytes == 2001);
  CHECK(o.max_header_bytes == 2002);
  CHECK(o.max_frame_bytes == 2003);
  CHECK(o.max_frames_per_s == 2004);
  CHECK(o.outbound_queue_bytes == 2005);
  CHECK(o.request_timeout_ms == 2006);
  CHECK(o.handshake_timeout_ms == 2007);
  CHECK(o.max_connections == 2008);
  CHECK(o.max_connections_per_ip == 2009);
  CHECK(o.loopback_reserve == 2010);
  CHECK(o.max_pending_reply_bytes == 2011);
  CHECK(o.max_pending_reply_bytes_total == 2012);
  CHECK(o.close_timeout_ms == 2013);
  CHECK(o.tls.cert_file == "c.pem");
  CHECK(o.tls.key_file == "k.pem");
  CHECK(o.tls.min_version == "1.3");
}
