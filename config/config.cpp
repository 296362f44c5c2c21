#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <boost/json.hpp>

#include "schema/audit_channels.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy {

namespace {

// -- one row per setting: dotted key, environment names, parser, printer ---------------------------

struct field {
  std::string key;                       // dotted, as in the config file
  std::vector<std::string> env;          // environment names, first is canonical
  std::function<std::string(config&, std::string_view)> set; // returns error text
  std::function<json::value(const config&)> get;
  bool secret = false;
};

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

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

std::string parse_bool(std::string_view v, bool& out) {
  auto t = trim(v);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "1" || t == "true" || t == "yes" || t == "on") {
    out = true;
    return {};
  }
  if (t == "0" || t == "false" || t == "no" || t == "off") {
    out = false;
    return {};
  }
  return "expected a boolean (1/0/true/false), got \"" + std::string(v) + "\"";
}

std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= v.size()) {
    auto comma = v.find(',', pos);
    auto item = trim(v.substr(pos, comma == std::string_view::npos ? v.npos : comma - pos));
    if (!item.empty())
      out.push_back(item);
    if (comma == std::string_view::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

std::string parse_namespaces(std::string_view v, std::vector<namespace_config>& out) {
  boost::system::error_code ec;
  json::value jv = json::parse(v, ec);
  if (ec || !jv.is_array())
    return "namespaces must be a JSON array of {\"prefix\",\"history_size\",\"snapshot\"}";
  std::vector<namespace_config> result;
  for (const auto& item : jv.get_array()) {
    if (!item.is_object())
      return "each namespace must be an object";
    const auto& o = item.get_object();
    namespace_config ns;
    auto p = o.find("prefix");
    if (p == o.end() || !p->value().is_string())
      return "each namespace needs a string \"prefix\"";
    ns.prefix = std::string(p->value().get_string());
    for (const auto& kv : o) {
      if (kv.key() == "prefix")
        continue;
      if (kv.key() == "subscribe_default" || kv.key() == "publish_default") {
        if (!kv.value().is_string())
          return "namespace \"" + ns.prefix + "\": \"" + std::string(kv.key())
                 + "\" must be \"allow\", \"deny\" or \"\"";
        (kv.key() == "subscribe_default" ? ns.subscribe_default : ns.publish_default) =
          std::string(kv.value().get_string());
        continue;
      }
      if (!kv.value().is_int64() || kv.value().get_int64() < 0)
        return "namespace \"" + ns.prefix + "\": \"" + std::string(kv.key())
               + "\" must be a non-negative integer";
      auto n = static_cast<std::size_t>(kv.value().get_int64());
      if (kv.key() == "history_size")
        ns.history_size = n;
      else if (kv.key() == "snapshot")
        ns.snapshot = n;
      else
        return "namespace \"" + ns.prefix + "\": unknown key \"" + std::string(kv.key()) + "\"";
    }
    result.push_back(std::move(ns));
  }
  out = std::move(result);
  return {};
}

json::value namespaces_json(const std::vector<namespace_config>& v) {
  json::array a;
  for (const auto& ns : v)
    a.push_back(json::object{{"prefix", ns.prefix},
                             {"history_size", ns.history_size},
                             {"snapshot", ns.snapshot},
                             {"subscribe_default", ns.subscribe_default},
                             {"publish_default", ns.publish_default}});
  return a;
}

std::string parse_keys(std::string_view v, std::vector<jwt_key_config>& out) {
  const char* shape = "auth.keys must be a JSON array of {\"kid\",\"alg\",\"secret\" | "
                      "\"pem_file\" | \"pem\"}";
  if (trim(v).empty()) { // an empty list in the file arrives as ""
    out.clear();
    return {};
  }
  boost::system::error_code ec;
  json::value jv = json::parse(v, ec);
  if (ec || !jv.is_array())
    return shape;
  std::vector<jwt_key_config> result;
  for (const auto& item : jv.get_array()) {
    if (!item.is_object())
      return shape;
    jwt_key_config k;
    for (const auto& kv : item.get_object()) {
      if (!kv.value().is_string())
        return "auth.keys: \"" + std::string(kv.key()) + "\" must be a string";
      std::string s(kv.value().get_string());
      if (kv.key() == "kid")
        k.kid = std::move(s);
      else if (kv.key() == "alg")
        k.alg = std::move(s);
      else if (kv.key() == "secret")
        k.secret = std::move(s);
      else if (kv.key() == "pem_file")
        k.pem_file = std::move(s);
      else if (kv.key() == "pem")
        k.pem = std::move(s);
      else
        return "auth.keys: unknown key \"" + std::string(kv.key()) + "\"";
    }
    result.push_back(std::move(k));
  }
  out = std::move(result);
  return {};
}

// Secrets are masked here because this printer only feeds check-config's output.
json::value keys_json(const std::vector<jwt_key_config>& v) {
  json::array a;
  for (const auto& k : v) {
    json::object o{{"kid", k.kid}, {"alg", k.alg}};
    if (!k.secret.empty())
      o["secret"] = "<set, " + std::to_string(k.secret.size()) + " bytes>";
    if (!k.pem_file.empty())
      o["pem_file"] = k.pem_file;
    if (!k.pem.empty())
      o["pem"] = "<" + std::to_string(k.pem.size()) + " bytes of PEM>";
    a.push_back(std::move(o));
  }
  return a;
}

bool readable_file(const std::string& path) {
  std::ifstream in(path);
  return static_cast<bool>(in);
}

template <class T>
field uint_field(std::string key, std::vector<std::string> env, T config::*m) {
  return {std::move(key), std::move(env),
          [m](config& c, std::string_view v) { return parse_uint(v, c.*m); },
          [m](const config& c) { return json::value(static_cast<std::uint64_t>(c.*m)); }};
}

field int_field(std::string key, std::vector<std::string> env, std::int64_t config::*m) {
  return {std::move(key), std::move(env),
          [m](config& c, std::string_view v) { return parse_uint(v, c.*m); },
          [m](const config& c) { return json::value(c.*m); }};
}

field string_field(std::string key, std::vector<std::string> env, std::string config::*m,
                   bool secret = false) {
  return {std::move(key), std::move(env),
          [m](config& c, std::string_view v) {
            c.*m = std::string(v);
            return std::string{};
          },
          [m](const config& c) { return json::value(c.*m); }, secret};
}

const std::vector<field>& fields() {
  static const std::vector<field> table = [] {
    std::vector<field> t;
    t.push_back(string_field("listen", {"SWITCHYARD_LISTEN"}, &config::listen));
    t.push_back(uint_field("io_threads", {"SWITCHYARD_IO_THREADS"}, &config::io_threads));
    t.push_back(uint_field("http.max_body_bytes", {"SWITCHYARD_MAX_BODY_BYTES"},
                           &config::max_body_bytes));
    t.push_back(uint_field("http.max_header_bytes", {"SWITCHYARD_MAX_HEADER_BYTES"},
                           &config::max_header_bytes));
    t.push_back(int_field("http.handshake_timeout_ms", {"SWITCHYARD_HANDSHAKE_TIMEOUT_MS"},
                          &config::handshake_timeout_ms));
    t.push_back(uint_field("http.max_connections", {"SWITCHYARD_MAX_CONNECTIONS"},
                           &config::max_connections));
    // Environment: the derived SWITCHYARD_HTTP_<KEY> names only.
    t.push_back(uint_field("http.max_connections_per_ip", {},
                           &config::http_max_connections_per_ip));
    t.push_back(uint_field("http.loopback_reserve", {}, &config::loopback_reserve));
    t.push_back(uint_field("http.max_pending_reply_bytes", {},
                           &config::max_pending_reply_bytes));
    t.push_back(uint_field("http.max_pending_reply_bytes_total", {},
                           &config::max_pending_reply_bytes_total));
    t.push_back(string_field("tls.cert_file", {"SWITCHYARD_TLS_CERT_FILE"},
                             &config::tls_cert_file));
    t.push_back(string_field("tls.key_file", {"SWITCHYARD_TLS_KEY_FILE"}, &config::tls_key_file));
    t.push_back(string_field("tls.min_version", {"SWITCHYARD_TLS_MIN_VERSION"},
                             &config::tls_min_version));
    t.push_back(uint_field("realtime.max_frames_per_s", {"SWITCHYARD_MAX_FRAMES_PER_S"},
                           &config::max_frames_per_s));
    t.push_back(int_field("realtime.close_timeout_ms", {"SWITCHYARD_CLOSE_TIMEOUT_MS"},
                          &config::close_timeout_ms));
    t.push_back(uint_field("quota.max_connections_per_user", {"SWITCHYARD_MAX_CONNECTIONS_PER_USER"},
                           &config::max_connections_per_user));
    t.push_back(uint_field("quota.max_connections_per_ip", {"SWITCHYARD_MAX_CONNECTIONS_PER_IP"},
                           &config::max_connections_per_ip));
    t.push_back(uint_field("quota.max_channels", {"SWITCHYARD_MAX_CHANNELS"},
                           &config::max_channels));
    t.push_back(uint_field("quota.max_empty_channels", {"SWITCHYARD_MAX_EMPTY_CHANNELS"},
                           &config::max_empty_channels));
    t.push_back(int_field("shutdown_grace_ms", {"SWITCHYARD_SHUTDOWN_GRACE_MS"},
                          &config::shutdown_grace_ms));
    t.push_back(string_field("auth.jwt_secret", {"SWITCHYARD_JWT_SECRET"}, &config::jwt_secret,
                             true));
    t.push_back(string_field("auth.api_key", {"SWITCHYARD_API_KEY"}, &config::api_key, true));
    t.push_back(int_field("auth.token_default_ttl_s", {"SWITCHYARD_TOKEN_TTL_S"},
                          &config::token_default_ttl_s));
    t.push_back({"auth.keys",
                 {"SWITCHYARD_AUTH_KEYS"},
                 [](config& c, std::string_view v) { return parse_keys(v, c.auth_keys); },
                 [](const config& c) { return keys_json(c.auth_keys); }});
    t.push_back(string_field("auth.jwks_file", {"SWITCHYARD_JWKS_FILE"}, &config::jwks_file));
    t.push_back(string_field("auth.issuer", {"SWITCHYARD_AUTH_ISSUER"}, &config::auth_issuer));
    t.push_back(
      string_field("auth.audience", {"SWITCHYARD_AUTH_AUDIENCE"}, &config::auth_audience));
    t.push_back(int_field("auth.leeway_s", {"SWITCHYARD_AUTH_LEEWAY_S"}, &config::auth_leeway_s));
    t.push_back({"auth.development",
                 {"SWITCHYARD_AUTH_DEVELOPMENT"},
                 [](config& c, std::string_view v) { return parse_bool(v, c.auth_development); },
                 [](const config& c) { return json::value(c.auth_development); }});
    t.push_back(int_field("auth.max_session_ttl_s", {"SWITCHYARD_MAX_SESSION_TTL_S"},
                          &config::max_session_ttl_s));
    t.push_back({"realtime.enabled",
                 {"SWITCHYARD_REALTIME_ENABLED", "REALTIME_ENABLED"},
                 [](config& c, std::string_view v) { return parse_bool(v, c.realtime_enabled); },
                 [](const config& c) { return json::value(c.realtime_enabled); }});
    t.push_back(uint_field("realtime.topic_limit",
                           {"SWITCHYARD_REALTIME_TOPIC_LIMIT", "REALTIME_TOPIC_LIMIT"},
                           &config::topic_limit));
    t.push_back({"realtime.origins",
                 {"SWITCHYARD_REALTIME_ORIGINS", "REALTIME_ORIGINS"},
                 [](config& c, std::string_view v) {
                   c.origins = split_list(v);
                   return std::string{};
                 },
                 [](const config& c) {
                   json::array a;
                   for (const auto& o : c.origins)
                     a.emplace_back(o);
                   return json::value(std::move(a));
                 }});
    t.push_back(int_field("realtime.heartbeat_ms", {"SWITCHYARD_HEARTBEAT_MS"},
                          &config::heartbeat_ms));
    t.push_back(int_field("realtime.idle_timeout_ms", {"SWITCHYARD_IDLE_TIMEOUT_MS"},
                          &config::idle_timeout_ms));
    t.push_back(uint_field("realtime.max_frame_bytes", {"SWITCHYARD_MAX_FRAME_BYTES"},
                           &config::max_frame_bytes));
    t.push_back(uint_field("realtime.outbound_queue_bytes", {"SWITCHYARD_OUTBOUND_QUEUE_BYTES"},
                           &config::outbound_queue_bytes));
    auto filter_field = [](std::string key, std::size_t filter_limits::*m) {
      return field{key, {},
                   [m](config& c, std::string_view v) { return parse_uint(v, c.filter.*m); },
                   [m](const config& c) {
                     return json::value(static_cast<std::uint64_t>(c.filter.*m));
                   }};
    };
    t.push_back(filter_field("filter.max_path_depth", &filter_limits::max_path_depth));
    t.push_back(filter_field("filter.max_operand_depth", &filter_limits::max_operand_depth));
    t.push_back(filter_field("filter.max_predicates", &filter_limits::max_predicates));
    t.push_back(filter_field("filter.max_in_values", &filter_limits::max_in_values));
    t.push_back(filter_field("filter.max_operations", &filter_limits::max_operations));
    t.push_back(uint_field("cluster.port", {"SWITCHYARD_CLUSTER_PORT"}, &config::cluster_port));
    t.push_back(string_field("cluster.host", {"SWITCHYARD_CLUSTER_HOST"}, &config::cluster_host));
    t.push_back(
      string_field("cluster.node_id", {"SWITCHYARD_CLUSTER_NODE_ID"}, &config::cluster_node_id));
    t.push_back({"cluster.join",
                 {"SWITCHYARD_CLUSTER_JOIN"},
                 [](config& c, std::string_view v) {
                   c.cluster_join = split_list(v);
                   return std::string{};
                 },
                 [](const config& c) {
                   json::array a;
                   for (const auto& j : c.cluster_join)
                     a.emplace_back(j);
                   return json::value(std::move(a));
                 }});
    t.push_back(uint_field("cluster.replicas", {"SWITCHYARD_CLUSTER_REPLICAS"},
                           &config::cluster_replicas));
    t.push_back(int_field("cluster.request_timeout_ms", {"SWITCHYARD_CLUSTER_REQUEST_TIMEOUT_MS"},
                          &config::cluster_request_timeout_ms));
    t.push_back({"gateway.enabled",
                 {"SWITCHYARD_GATEWAY_ENABLED"},
                 [](config& c, std::string_view v) { return parse_bool(v, c.gateway_enabled); },
                 [](const config& c) { return json::value(c.gateway_enabled); }});
    t.push_back(int_field("gateway.auth_timeout_ms", {"SWITCHYARD_GATEWAY_AUTH_TIMEOUT_MS"},
                          &config::auth_timeout_ms));
    t.push_back(uint_field("gateway.max_subscriptions", {"SWITCHYARD_GATEWAY_MAX_SUBSCRIPTIONS"},
                           &config::gateway_max_subscriptions));
    t.push_back({"snackbase.enabled",
                 {"SWITCHYARD_SNACKBASE_ENABLED"},
                 [](config& c, std::string_view v) { return parse_bool(v, c.snackbase_enabled); },
                 [](const config& c) { return json::value(c.snackbase_enabled); }});
    t.push_back(string_field("snackbase.workspace", {"SWITCHYARD_SNACKBASE_WORKSPACE"},
                             &config::snackbase_workspace));
    t.push_back(uint_field("snackbase.max_subscriptions",
                           {"SWITCHYARD_SNACKBASE_MAX_SUBSCRIPTIONS"},
                           &config::snackbase_max_subscriptions));
    t.push_back(uint_field("history.size", {"SWITCHYARD_HISTORY_SIZE"}, &config::history_size));
    t.push_back(uint_field("history.default_limit", {"SWITCHYARD_HISTORY_DEFAULT_LIMIT"},
                           &config::history_default_limit));
    t.push_back(uint_field("history.max_limit", {"SWITCHYARD_HISTORY_MAX_LIMIT"},
                           &config::history_max_limit));
    t.push_back(uint_field("history.max_page_bytes", {"SWITCHYARD_HISTORY_MAX_PAGE_BYTES"},
                           &config::history_max_page_bytes));
    t.push_back(int_field("idempotency.window_ms", {"SWITCHYARD_IDEMPOTENCY_WINDOW_MS"},
                          &config::idempotency_window_ms));
    t.push_back(uint_field("idempotency.max_keys", {"SWITCHYARD_IDEMPOTENCY_MAX_KEYS"},
                           &config::idempotency_max_keys));
    t.push_back(uint_field("idempotency.max_bytes", {"SWITCHYARD_IDEMPOTENCY_MAX_BYTES"},
                           &config::idempotency_max_bytes));
    t.push_back(uint_field("idempotency.max_node_bytes", {"SWITCHYARD_IDEMPOTENCY_MAX_NODE_BYTES"},
                           &config::idempotency_max_node_bytes));
    t.push_back(int_field("channel.idle_ms", {"SWITCHYARD_CHANNEL_IDLE_MS"},
                          &config::channel_idle_ms));
    t.push_back(int_field("channel.empty_idle_ms", {"SWITCHYARD_CHANNEL_EMPTY_IDLE_MS"},
                          &config::channel_empty_idle_ms));
    t.push_back(int_field("channel.batch_window_us", {"SWITCHYARD_BATCH_WINDOW_US"},
                          &config::batch_window_us));
    t.push_back({"channel.require_namespace",
                 {"SWITCHYARD_REQUIRE_NAMESPACE"},
                 [](config& c, std::string_view v) { return parse_bool(v, c.require_namespace); },
                 [](const config& c) { return json::value(c.require_namespace); }});
    t.push_back({"namespaces",
                 {"SWITCHYARD_NAMESPACES"},
                 [](config& c, std::string_view v) { return parse_namespaces(v, c.namespaces); },
                 [](const config& c) { return namespaces_json(c.namespaces); }});
    t.push_back(string_field("scheduler.policy", {"SWITCHYARD_SCHEDULER_POLICY"},
                             &config::scheduler_policy));
    t.push_back(uint_field("scheduler.threads", {"SWITCHYARD_SCHEDULER_THREADS"},
                           &config::scheduler_threads));
    t.push_back(int_field("request_timeout_ms", {"SWITCHYARD_REQUEST_TIMEOUT_MS"},
                          &config::request_timeout_ms));
    t.push_back(string_field("log_level", {"SWITCHYARD_LOG_LEVEL"}, &config::log_level));
    t.push_back(string_field("audit.file", {"SWITCHYARD_AUDIT_FILE"}, &config::audit_file));
    return t;
  }();
  return table;
}

std::string derived_env_name(const std::string& key) {
  std::string out = "SWITCHYARD_";
  for (char c : key)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

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

namespace_config config::namespace_for(std::string_view channel) const {
  const namespace_config* best = nullptr;
  for (const auto& ns : namespaces)
    if (channel.substr(0, ns.prefix.size()) == ns.prefix
        && (!best || ns.prefix.size() > best->prefix.size()))
      best = &ns;
  if (best)
    return *best;
  namespace_config dflt;
  dflt.history_size = history_size;
  return dflt;
}

bool config::known_topic(std::string_view topic) const {
  // Workspace channels are defined by the gateway itself (its channel families): the gateway
  // and SnackBase routes validate them, so they need no namespace entry.
  if (!require_namespace || topic == log_event_channel || topic == log_audit_channel
      || split_workspace_channel(topic))
    return true;
  bool pattern = !topic.empty() && topic.back() == '*';
  auto name = pattern ? topic.substr(0, topic.size() - 1) : topic;
  for (const auto& ns : namespaces) {
    if (name.substr(0, ns.prefix.size()) == ns.prefix)
      return true;
    if (pattern && std::string_view(ns.prefix).substr(0, name.size()) == name)
      return true;
  }
  return false;
}

bool config::uses_dev_credentials() const {
  config d;
  return jwt_secret == d.jwt_secret || api_key == d.api_key;
}

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
    bool structured = key == "namespaces" || key == "auth.keys";
    auto err = apply_setting(cfg, key, structured ? json::serialize(*val) : value_text(*val));
    if (!err.empty())
      return err;
  }
  return {};
}

std::string apply_setting(config& cfg, std::string_view key, std::string_view value) {
  for (const auto& f : fields())
    if (f.key == key) {
      auto err = f.set(cfg, value);
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
  for (const auto& f : fields()) {
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

bool split_host_port(std::string_view hp, std::string& host, std::uint16_t& port) {
  auto colon = hp.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return false;
  unsigned p = 0;
  auto ps = hp.substr(colon + 1);
  auto r = std::from_chars(ps.data(), ps.data() + ps.size(), p);
  if (ps.empty() || r.ec != std::errc{} || r.ptr != ps.data() + ps.size() || p > 65535)
    return false;
  host = std::string(hp.substr(0, colon));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  port = static_cast<std::uint16_t>(p);
  return true;
}

std::string validate_config(const config& c) {
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(c.listen, host, port))
    return "listen: expected host:port, got \"" + c.listen + "\"";
  // Half a TLS setup would silently serve plain text where TLS was intended: refuse it.
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    return std::string("tls.cert_file and tls.key_file must be set together (")
           + (c.tls_cert_file.empty() ? "tls.cert_file" : "tls.key_file") + " is empty)";
  if (!c.tls_cert_file.empty() && !readable_file(c.tls_cert_file))
    return "tls.cert_file: cannot read " + c.tls_cert_file;
  if (!c.tls_key_file.empty() && !readable_file(c.tls_key_file))
    return "tls.key_file: cannot read " + c.tls_key_file;
  if (c.tls_min_version != "1.2" && c.tls_min_version != "1.3")
    return "tls.min_version must be \"1.2\" or \"1.3\"";
  if (c.jwt_secret.empty())
    return "auth.jwt_secret must not be empty";
  if (c.api_key.empty())
    return "auth.api_key must not be empty";
  if (c.io_threads == 0 || c.io_threads > 64)
    return "io_threads must be 1..64";
  if (c.topic_limit == 0)
    return "realtime.topic_limit must be at least 1";
  if (c.gateway_max_subscriptions == 0 || c.snackbase_max_subscriptions == 0)
    return "gateway.max_subscriptions and snackbase.max_subscriptions must be at least 1";
  if (c.filter.max_path_depth == 0 || c.filter.max_operand_depth == 0
      || c.filter.max_predicates == 0 || c.filter.max_in_values == 0
      || c.filter.max_operations == 0)
    return "filter.* limits must be at least 1";
  if (c.cluster_replicas > 2)
    return "cluster.replicas must be 0, 1 or 2";
  if (c.cluster_request_timeout_ms < 50)
    return "cluster.request_timeout_ms must be at least 50";
  for (const auto& j : c.cluster_join) {
    std::string h;
    std::uint16_t p = 0;
    if (!split_host_port(j, h, p) || p == 0)
      return "cluster.join: \"" + j + "\" is not host:port";
  }
  if (c.auth_timeout_ms < 100)
    return "gateway.auth_timeout_ms must be at least 100";
  if (!valid_workspace_id(c.snackbase_workspace))
    return "snackbase.workspace must be 1-64 characters of [A-Za-z0-9_-]";
  if (c.max_frames_per_s == 0 || c.max_connections == 0 || c.max_connections_per_user == 0
      || c.max_connections_per_ip == 0 || c.max_channels == 0 || c.max_empty_channels == 0)
    return "connection, frame-rate and channel limits must be at least 1";
  if (c.http_max_connections_per_ip == 0)
    return "http.max_connections_per_ip must be at least 1";
  if (c.max_pending_reply_bytes < 1024
      || c.max_pending_reply_bytes_total < c.max_pending_reply_bytes)
    return "http.max_pending_reply_bytes must be at least 1024 and at most "
           "http.max_pending_reply_bytes_total";
  if (c.handshake_timeout_ms < 100 || c.close_timeout_ms < 100)
    return "http.handshake_timeout_ms and realtime.close_timeout_ms must be at least 100";
  if (c.heartbeat_ms < 100 || c.idle_timeout_ms < 100)
    return "realtime.heartbeat_ms and realtime.idle_timeout_ms must be at least 100";
  if (c.max_frame_bytes < 1024 || c.max_body_bytes < 1024 || c.max_header_bytes < 1024)
    return "frame, body and header limits must be at least 1024 bytes";
  if (c.outbound_queue_bytes < 1024)
    return "realtime.outbound_queue_bytes must be at least 1024";
  if (c.history_size == 0)
    return "history.size must be at least 1";
  if (c.history_default_limit == 0 || c.history_max_limit == 0
      || c.history_default_limit > c.history_max_limit)
    return "history.default_limit must be 1..history.max_limit";
  if (c.history_max_page_bytes < 1024)
    return "history.max_page_bytes must be at least 1024";
  if (c.idempotency_window_ms < 1 || c.idempotency_max_keys == 0)
    return "idempotency.window_ms and idempotency.max_keys must be positive";
  if (c.idempotency_max_bytes < 1024 || c.idempotency_max_node_bytes < c.idempotency_max_bytes)
    return "idempotency.max_bytes must be at least 1024 and at most idempotency.max_node_bytes";
  if (c.channel_idle_ms < 1)
    return "channel.idle_ms must be positive";
  if (c.channel_empty_idle_ms < 0 || c.channel_empty_idle_ms > c.channel_idle_ms)
    return "channel.empty_idle_ms must be 0..channel.idle_ms";
  if (c.scheduler_policy != "affine" && c.scheduler_policy != "sharing"
      && c.scheduler_policy != "stealing")
    return "scheduler.policy must be \"affine\", \"sharing\" or \"stealing\"";
  for (const auto& ns : c.namespaces) {
    if (ns.prefix.empty())
      return "namespace prefix must not be empty";
    if (ns.history_size == 0)
      return "namespace \"" + ns.prefix + "\": history_size must be at least 1";
    if (ns.snapshot > ns.history_size)
      return "namespace \"" + ns.prefix + "\": snapshot cannot exceed history_size";
    for (const auto* d : {&ns.subscribe_default, &ns.publish_default})
      if (!d->empty() && *d != "allow" && *d != "deny")
        return "namespace \"" + ns.prefix
               + "\": subscribe_default/publish_default must be \"allow\", \"deny\" or \"\"";
  }
  // Key material itself is parsed by the authenticator (net/auth/auth.hpp auth_config_error); here
  // the shape and the files' presence are checked so check-config catches typos early.
  for (std::size_t i = 0; i < c.auth_keys.size(); ++i) {
    const auto& k = c.auth_keys[i];
    auto where = "auth.keys[" + std::to_string(i) + "]";
    bool hs = k.alg == "HS256" || k.alg == "HS384" || k.alg == "HS512";
    bool pk = k.alg == "RS256" || k.alg == "ES256";
    if (!hs && !pk)
      return where + ": alg must be HS256, HS384, HS512, RS256 or ES256";
    int sources = !k.secret.empty() + !k.pem_file.empty() + !k.pem.empty();
    if (sources != 1)
      return where + ": set exactly one of secret, pem_file, pem";
    if (hs && k.secret.empty())
      return where + ": " + k.alg + " keys take a secret";
    if (pk && !k.secret.empty())
      return where + ": " + k.alg + " keys take a PEM public key (pem_file or pem), not a secret";
    if (!k.pem_file.empty() && !readable_file(k.pem_file))
      return where + ": cannot read pem_file " + k.pem_file;
    for (std::size_t j = 0; j < i; ++j)
      if (!k.kid.empty() && c.auth_keys[j].kid == k.kid)
        return where + ": duplicate kid \"" + k.kid + "\"";
  }
  if (!c.jwks_file.empty() && !readable_file(c.jwks_file))
    return "auth.jwks_file: cannot read " + c.jwks_file;
  if (c.auth_leeway_s > 600)
    return "auth.leeway_s must be 0..600";
  if (c.token_default_ttl_s < 1 || c.max_session_ttl_s < 1)
    return "auth.token_default_ttl_s and auth.max_session_ttl_s must be at least 1";
  if (c.log_level != "trace" && c.log_level != "debug" && c.log_level != "info"
      && c.log_level != "warn" && c.log_level != "error" && c.log_level != "off")
    return "log_level must be trace|debug|info|warn|error|off";
  return {};
}

std::string describe_config(const config& c) {
  json::object o;
  for (const auto& f : fields()) {
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
