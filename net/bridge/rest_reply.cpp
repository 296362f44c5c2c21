#include "net/bridge/rest_reply.hpp"

#include <cctype>

#include <boost/json.hpp>

#include "metrics/hooks.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy {

http_reply error_reply(errc e, std::string_view message) {
  metrics::refused(e);
  return {http_status(e), json_error_body(wire_code(e), message), "application/json"};
}

http_reply render_publish(const publish_result& r) {
  const std::string& body = r.ev->rest_json;
  std::string out;
  out.reserve(body.size() + 20);
  out.append(body, 0, body.size() - 1);
  out += r.duplicate ? ",\"duplicate\":true}" : ",\"duplicate\":false}";
  return {r.duplicate ? 200u : 201u, std::move(out), "application/json"};
}

http_reply render_page(const history_page& p) {
  std::string out = "{\"events\":[";
  bool first = true;
  for (const auto& ev : p.events) {
    if (!first)
      out += ',';
    first = false;
    out += ev->rest_json;
  }
  out += "],\"nextCursor\":";
  if (p.next_cursor.empty())
    out += "null";
  else
    append_json_string(out, p.next_cursor);
  out += p.has_more ? ",\"hasMore\":true" : ",\"hasMore\":false";
  out += p.recovered ? ",\"recovered\":true}" : ",\"recovered\":false}";
  return {200, std::move(out), "application/json"};
}

std::string now_iso() {
  return format_timestamp(wall_clock_ms());
}

bool optional_text(const json::object& o, const char* key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return true;
  if (it->value().is_string() || it->value().is_number()) {
    out = scalar_text(it->value());
    return true;
  }
  return false;
}

bool valid_grant(std::string_view v, bool plain_id) {
  if (v == "*" && !plain_id)
    return true;
  if (!plain_id && !v.empty() && v.back() == '*')
    v.remove_suffix(1);
  if (v.empty() || v.size() > 200)
    return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':'
        && c != '-')
      return false;
  return true;
}

void set_metadata(publish_cmd& cmd, const json::object& md) {
  cmd.metadata_json = json::serialize(md);
  cmd.metadata.clear();
  for (const auto& kv : md)
    cmd.metadata.emplace_back(std::string(kv.key()), scalar_text(kv.value()));
}

} // namespace sy
