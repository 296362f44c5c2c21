// The SnackBase live frame ("<collection>.<create|update|delete>"), encoded once per event of
// a postgres: channel of a workspace, whoever subscribes.
#include "schema/dialects/snackbase/snackbase.hpp"


#include "schema/dialects/codec_support.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy::snackbase {

using codec::member;

std::optional<std::string> encode_live(live_input& in) {
  const auto& ws = in.workspace();
  if (!ws)
    return std::nullopt;
  std::string_view local = ws->local;
  constexpr std::string_view family = "postgres:";
  if (local.substr(0, family.size()) != family)
    return std::nullopt;
  auto collection = local.substr(family.size());
  if (!valid_collection(collection))
    return std::nullopt;
  const json::value* parsed = in.data();
  if (!parsed)
    return std::nullopt;
  const json::value& data = *parsed;
  const event& e = in.ev();
  // The operation of a change event, else the event's type (a plain publish).
  std::string_view op = e.type;
  const json::value* body = &data;
  if (data.is_object()) {
    const auto& o = data.get_object();
    if (auto* v = member(o, "operation"); v && v->is_string())
      op = v->get_string();
    auto* rec = member(o, "record");
    auto* old = member(o, "oldRecord");
    if (rec && rec->is_object())
      body = rec;
    else if (old && old->is_object())
      body = old; // a delete carries the row it removed
    else if (rec)
      body = rec; // null
  }
  std::string out;
  out.reserve(e.data_json.size() + collection.size() + 80);
  out += "{\"type\":";
  append_json_string(out, std::string(collection) + "." + snackbase_operation(op));
  out += ",\"timestamp\":\"";
  out += format_timestamp(e.timestamp_ms);
  out += "\",\"data\":";
  if (body == &data)
    out += e.data_json;
  else
    append_json_value(out, *body);
  out += '}';
  return out;
}

} // namespace sy::snackbase
