#include "config/values.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

namespace sy::config_values {

namespace json = boost::json;

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
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
    return "namespaces must be a JSON array of {\"prefix\",\"history_size\",\"history_ttl_s\","
           "\"snapshot\"}";
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
      if (kv.key() == "history_ttl_s") {
        if (kv.value().get_int64() > max_history_ttl_s)
          return "namespace \"" + ns.prefix + "\": \"history_ttl_s\" must be at most "
                 + std::to_string(max_history_ttl_s) + " (10 years)";
        ns.history_ttl_s = kv.value().get_int64();
      } else if (kv.key() == "history_size")
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
  for (const auto& ns : v) {
    json::object o{{"prefix", ns.prefix},
                   {"history_size", ns.history_size},
                   {"snapshot", ns.snapshot},
                   {"subscribe_default", ns.subscribe_default},
                   {"publish_default", ns.publish_default}};
    if (ns.history_ttl_s >= 0) // unset: history.ttl_s applies
      o["history_ttl_s"] = ns.history_ttl_s;
    a.push_back(std::move(o));
  }
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

} // namespace sy::config_values
