#include "schema/dialect_gateway.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/codec_support.hpp"
#include "schema/codes.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy::gateway {

using codec::invalid;
using codec::member;
using codec::optional_string;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
         || c == '_' || c == ':' || c == '-';
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Frame keys that the gateway frame owns; a data member of the same name is not repeated.
bool reserved_key(std::string_view k) {
  return k == "type" || k == "channel" || k == "timestamp" || k == "correlationId";
}

} // namespace

family family_of(std::string_view local) {
  if (local.substr(0, 9) == "postgres:")
    return family::postgres;
  if (local.substr(0, 6) == "mongo:")
    return family::mongo;
  if (local.substr(0, 7) == "events:")
    return family::events;
  return family::none;
}

bool valid_channel(std::string_view local, bool allow_wildcard) {
  if (family_of(local) == family::none || local.size() > 160)
    return false;
  auto name = local.substr(local.find(':') + 1);
  if (name == "*")
    return allow_wildcard;
  if (name.empty())
    return false;
  for (char c : name)
    if (!name_char(c))
      return false;
  return true;
}

client_command decode(std::string_view text) {
  json::value v;
  client_command refused;
  if (!codec::parse_object(text, v, refused))
    return refused;
  const auto& o = v.get_object();
  auto* type = member(o, "type");
  if (!type || !type->is_string())
    return invalid(error_code::bad_request, "frame needs a string \"type\"");
  std::string_view name = type->get_string();
  client_command c;
  if (name == "ping") {
    c.kind = op::ping;
    return c;
  }
  if (name == "auth") {
    auto* t = member(o, "token");
    if (!t || !t->is_string() || t->get_string().empty())
      return invalid(error_code::bad_request, "auth needs a string \"token\"");
    c.kind = op::auth;
    c.token = std::string(t->get_string());
    return c;
  }
  if (name != "subscribe" && name != "unsubscribe")
    return invalid(error_code::unknown_op, "unknown type \"" + std::string(name) + "\"");
  auto* ch = member(o, "channel");
  if (!ch || !ch->is_string())
    return invalid(error_code::bad_request, "\"channel\" must be a string");
  c.topics.emplace_back(ch->get_string());
  if (name == "unsubscribe") {
    c.kind = op::unsubscribe;
    return c;
  }
  if (auto* f = member(o, "filter"); f && !f->is_null()) {
    if (!f->is_object())
      return invalid(error_code::invalid_filter, "\"filter\" must be an object");
    if (!f->get_object().empty() && !codec::compile_into(f->get_object(), c))
      return c;
  }
  c.kind = op::subscribe;
  return c;
}

std::optional<std::string> encode_event(const event& e, std::string_view event_id,
                                        std::string_view local, const json::value& data) {
  auto fam = family_of(local);
  if (fam == family::none)
    return std::nullopt;
  std::string out;
  out.reserve(e.data_json.size() + local.size() + 120);
  out += "{\"type\":\"event\",\"channel\":";
  append_json_string(out, local);
  if (fam != family::events && data.is_object()) {
    // A change event: its fields sit at the top level of the frame, in stored order
    // (ingestion stores them in documented order: operation, table, record, oldRecord, ...).
    for (const auto& kv : data.get_object()) {
      if (reserved_key(kv.key()))
        continue;
      out += ',';
      append_json_string(out, kv.key());
      out += ':';
      out += json::serialize(kv.value());
    }
  } else {
    out += ",\"data\":";
    out += e.data_json;
  }
  out += ",\"timestamp\":\"";
  out += format_timestamp(e.timestamp_ms);
  out += "\",\"correlationId\":";
  append_json_string(out, e.correlation_id.empty() ? event_id : std::string_view(e.correlation_id));
  out += '}';
  return out;
}

std::string encode_subscribed(std::string_view channel) {
  return string_object({{"type", "subscribed"}, {"channel", channel}});
}

std::string encode_unsubscribed(std::string_view channel) {
  return string_object({{"type", "unsubscribed"}, {"channel", channel}});
}

std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view channel) {
  return string_object(
    {{"type", "error"}, {"code", code}, {"channel", channel, true}, {"message", message}});
}

std::string encode_pong() {
  return "{\"type\":\"pong\"}";
}

std::uint16_t close_code_for(std::string_view code) {
  if (code == error_code::scope_denied)
    return close_code::scope_denied;
  if (code == error_code::quota_exceeded)
    return close_code::quota_exceeded;
  if (code == error_code::channel_unavailable || code == error_code::invalid_topic)
    return close_code::channel_unavailable;
  return 0;
}

std::variant<ingest, ingest_error> parse_ingest(const json::object& body) {
  auto bad = [](std::string message) {
    return ingest_error{std::string(error_code::bad_request), std::move(message)};
  };
  ingest in;
  auto* ch = member(body, "channel");
  if (!ch || !ch->is_string())
    return bad("\"channel\" must be a string such as \"postgres:products\"");
  in.channel = std::string(ch->get_string());
  if (!valid_channel(in.channel, false))
    return ingest_error{std::string(error_code::channel_unavailable),
                        "\"channel\" must be postgres:{table}, mongo:{collection} or "
                        "events:{topic}"};
  if (!optional_string(body, "correlationId", in.correlation_id))
    return bad("\"correlationId\" must be a string");
  if (!optional_string(body, "idempotencyKey", in.idempotency_key))
    return bad("\"idempotencyKey\" must be a string");
  if (auto* md = member(body, "metadata"); md && !md->is_null()) {
    if (!md->is_object())
      return bad("\"metadata\" must be an object");
    in.metadata = md->get_object();
  }
  auto fam = family_of(in.channel);
  auto name = std::string_view(in.channel).substr(in.channel.find(':') + 1);
  if (fam == family::events) {
    auto* data = member(body, "data");
    if (!data)
      return bad("\"data\" is required for events: channels");
    if (!optional_string(body, "type", in.type))
      return bad("\"type\" must be a string");
    if (in.type.empty())
      in.type = "event";
    in.data_json = json::serialize(*data);
    return in;
  }
  // A change event: operation first, then the entity, then the row(s), in PROTOCOL.md order.
  std::string operation;
  if (!optional_string(body, "operation", operation) || operation.empty())
    return bad("\"operation\" must be a non-empty string (INSERT, UPDATE, DELETE)");
  in.type = upper(operation);
  const char* entity_key = fam == family::postgres ? "table" : "collection";
  std::string entity;
  if (!optional_string(body, entity_key, entity))
    return bad(std::string("\"") + entity_key + "\" must be a string");
  if (!entity.empty() && entity != name)
    return bad(std::string("\"") + entity_key + "\" must match the channel (\"" + std::string(name)
               + "\")");
  json::object data;
  data["operation"] = in.type;
  data[entity_key] = name;
  static constexpr std::string_view postgres_rows[] = {"record", "oldRecord", "changedColumns"};
  static constexpr std::string_view mongo_rows[] = {"document", "operationType"};
  const bool pg = fam == family::postgres;
  const std::string_view* rows = pg ? postgres_rows : mongo_rows;
  const std::size_t row_count = pg ? std::size(postgres_rows) : std::size(mongo_rows);
  for (std::size_t i = 0; i < row_count; ++i) {
    std::string_view key = rows[i];
    if (auto* v = member(body, key))
      data[key] = *v;
    else if (key == "record" || key == "document")
      data[key] = nullptr; // always present, as in the documented frames
  }
  if (fam == family::mongo) {
    if (!data.contains("operationType")) {
      std::string lower = in.type;
      for (auto& c : lower)
        if (c >= 'A' && c <= 'Z')
          c = static_cast<char>(c - 'A' + 'a');
      data["operationType"] = lower;
    }
  }
  if (auto* cc = member(body, "changedColumns"); cc && !cc->is_null() && !cc->is_array())
    return bad("\"changedColumns\" must be an array");
  in.data_json = json::serialize(data);
  return in;
}

} // namespace sy::gateway
