// The key table's row for change-data sources (`sources`, CHANGE-CAPTURE.md): a JSON array of
// objects, parsed and checked here so that a typo is a startup error, not a source that
// silently does nothing.
#include <boost/json.hpp>

#include "config/key_rows.hpp"
#include "net/pg/slot_name.hpp"
#include "schema/workspace.hpp"

namespace sy::key_rows {

namespace {

namespace json = boost::json;

const char* shape = "sources must be a JSON array of {\"kind\":\"postgres\",\"workspace\","
                    "\"dsn\",\"publication\",\"slot\",\"tables\":[…]} objects";

std::string read_string(const json::value& v, std::string_view key, std::string& out) {
  if (!v.is_string())
    return "sources: \"" + std::string(key) + "\" must be a string";
  out = std::string(v.get_string());
  return {};
}

std::string read_bool(const json::value& v, std::string_view key, bool& out) {
  if (!v.is_bool())
    return "sources: \"" + std::string(key) + "\" must be true or false";
  out = v.get_bool();
  return {};
}

template <class T>
std::string read_uint(const json::value& v, std::string_view key, T& out) {
  if (v.is_uint64() || (v.is_int64() && v.get_int64() >= 0)) {
    out = static_cast<T>(v.is_uint64() ? v.get_uint64()
                                       : static_cast<std::uint64_t>(v.get_int64()));
    return {};
  }
  return "sources: \"" + std::string(key) + "\" must be a non-negative integer";
}

std::string read_source(const json::object& o, source_config& s) {
  for (const auto& kv : o) {
    auto k = kv.key();
    const auto& v = kv.value();
    std::string err;
    if (k == "id")
      err = read_string(v, k, s.id);
    else if (k == "kind")
      err = read_string(v, k, s.kind);
    else if (k == "workspace")
      err = read_string(v, k, s.workspace);
    else if (k == "dsn")
      err = read_string(v, k, s.dsn);
    else if (k == "publication")
      err = read_string(v, k, s.publication);
    else if (k == "slot")
      err = read_string(v, k, s.slot);
    else if (k == "create_publication")
      err = read_bool(v, k, s.create_publication);
    else if (k == "create_slot")
      err = read_bool(v, k, s.create_slot);
    else if (k == "max_lag_bytes")
      err = read_uint(v, k, s.max_lag_bytes);
    else if (k == "max_in_flight")
      err = read_uint(v, k, s.max_in_flight);
    else if (k == "retry_max_ms")
      err = read_uint(v, k, s.retry_max_ms);
    else if (k == "tables") {
      if (!v.is_array())
        return "sources: \"tables\" must be an array of table names";
      for (const auto& t : v.get_array()) {
        if (!t.is_string() || t.get_string().empty())
          return "sources: \"tables\" must be an array of table names";
        s.tables.emplace_back(t.get_string());
      }
    } else
      return "sources: unknown key \"" + std::string(k) + "\"";
    if (!err.empty())
      return err;
  }
  return {};
}

std::string check_source(source_config& s, std::size_t i) {
  auto where = "sources[" + std::to_string(i) + "]";
  if (s.kind != "postgres")
    return where + ": kind must be \"postgres\" (the only kind)";
  if (!valid_workspace_id(s.workspace))
    return where + ": workspace must be a workspace id ([A-Za-z0-9_-]{1,64})";
  if (s.dsn.empty())
    return where + ": dsn is required (a libpq conninfo string or URI)";
  if (s.publication.empty())
    return where + ": publication must not be empty";
  if (s.slot.empty()) {
    s.slot = "switchyard_";
    for (char c : s.workspace)
      s.slot.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (!pg::valid_slot_name(s.slot))
    return where + ": slot must be 1-63 of [a-z0-9_] (PostgreSQL's rule for slot names)";
  if (s.id.empty())
    s.id = s.slot;
  if (s.max_in_flight == 0)
    return where + ": max_in_flight must be at least 1";
  if (s.retry_max_ms < 500)
    return where + ": retry_max_ms must be at least 500";
  return {};
}

std::string parse_sources(std::string_view v, std::vector<source_config>& out) {
  if (config_values::trim(v).empty()) {
    out.clear();
    return {};
  }
  boost::system::error_code ec;
  json::value jv = json::parse(v, ec);
  if (ec || !jv.is_array())
    return shape;
  std::vector<source_config> result;
  for (const auto& item : jv.get_array()) {
    if (!item.is_object())
      return shape;
    source_config s;
    if (auto err = read_source(item.get_object(), s); !err.empty())
      return err;
    if (auto err = check_source(s, result.size()); !err.empty())
      return err;
    for (const auto& other : result) {
      if (other.id == s.id)
        return "sources: two sources have the id \"" + s.id + "\"";
      if (other.slot == s.slot && other.dsn == s.dsn)
        return "sources: two sources consume the slot \"" + s.slot + "\"";
    }
    result.push_back(std::move(s));
  }
  out = std::move(result);
  return {};
}

// The dsn is masked: it may hold a password, and this printer feeds check-config and the
// config.loaded audit record.
json::value sources_json(const std::vector<source_config>& v) {
  json::array a;
  for (const auto& s : v) {
    json::array tables;
    for (const auto& t : s.tables)
      tables.emplace_back(t);
    a.push_back(json::object{{"id", s.id},
                             {"kind", s.kind},
                             {"workspace", s.workspace},
                             {"dsn", "<set, " + std::to_string(s.dsn.size()) + " bytes>"},
                             {"publication", s.publication},
                             {"slot", s.slot},
                             {"tables", std::move(tables)},
                             {"create_publication", s.create_publication},
                             {"create_slot", s.create_slot},
                             {"max_lag_bytes", s.max_lag_bytes},
                             {"max_in_flight", s.max_in_flight},
                             {"retry_max_ms", s.retry_max_ms}});
  }
  return a;
}

} // namespace

std::vector<config_key> source_keys() {
  std::vector<config_key> t;
  auto k = row("sources", key_type::json, {"SWITCHYARD_SOURCES"});
  k.set = [](config& c, std::string_view v) { return parse_sources(v, c.sources); };
  k.get = [](const config& c) { return sources_json(c.sources); };
  t.push_back(std::move(k).describe(
    "change-data sources: a JSON array of {kind, workspace, dsn, publication, slot, tables, "
    "create_publication, create_slot, max_lag_bytes, max_in_flight, retry_max_ms} (see "
    "[CHANGE-CAPTURE.md](CHANGE-CAPTURE.md))"));
  return t;
}

} // namespace sy::key_rows
