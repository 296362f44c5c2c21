// The gateway's live frame, encoded once per event of a workspace channel, whoever subscribes.
#include "schema/dialects/gateway/gateway.hpp"


#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy::gateway {

namespace {

// Frame keys that the gateway frame owns; a data member of the same name is not repeated.
bool reserved_key(std::string_view k) {
  return k == "type" || k == "channel" || k == "timestamp" || k == "correlationId";
}

} // namespace

std::optional<std::string> encode_live(live_input& in) {
  const auto& ws = in.workspace();
  if (!ws)
    return std::nullopt;
  std::string_view local = ws->local;
  auto fam = family_of(local);
  if (fam == family::none)
    return std::nullopt;
  const json::value* data = in.data();
  if (!data)
    return std::nullopt;
  const event& e = in.ev();
  std::string out;
  out.reserve(e.data_json.size() + local.size() + 120);
  out += "{\"type\":\"event\",\"channel\":";
  append_json_string(out, local);
  if (fam != family::events && data->is_object()) {
    // A change event: its fields sit at the top level of the frame, in stored order
    // (ingestion stores them in documented order: operation, table, record, oldRecord, ...).
    for (const auto& kv : data->get_object()) {
      if (reserved_key(kv.key()))
        continue;
      out += ',';
      append_json_string(out, kv.key());
      out += ':';
      append_json_value(out, kv.value());
    }
  } else {
    out += ",\"data\":";
    out += e.data_json;
  }
  out += ",\"timestamp\":\"";
  out += format_timestamp(e.timestamp_ms);
  out += "\",\"correlationId\":";
  append_json_string(out, e.correlation_id.empty() ? in.id() : std::string_view(e.correlation_id));
  out += '}';
  return out;
}

} // namespace sy::gateway
