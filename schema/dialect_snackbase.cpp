#include "schema/dialect_snackbase.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/codec_support.hpp"
#include "schema/codes.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy::snackbase {

using codec::invalid;
using codec::member;
using codec::optional_string;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace

bool valid_collection(std::string_view name) {
  return valid_plain_id(name, 128);
}

std::optional<std::string_view> stored_operation(std::string_view op) {
  if (op == "create")
    return "INSERT";
  if (op == "update")
    return "UPDATE";
  if (op == "delete")
    return "DELETE";
  return std::nullopt;
}

std::string snackbase_operation(std::string_view stored) {
  auto l = lower(stored);
  if (l == "insert")
    return "create";
  return l; // update, delete (and anything else, lower-cased)
}

client_command decode(std::string_view text) {
  if (text == "ping") { // no ping body is prescribed: a bare "ping" is one too
    client_command c;
    c.kind = op::ping;
    return c;
  }
  json::value v;
  client_command refused;
  if (!codec::parse_object(text, v, refused))
    return refused;
  const auto& o = v.get_object();
  auto* action = member(o, "action");
  if (!action) // {"type":"ping"} is accepted as a ping too
    action = member(o, "type");
  if (!action || !action->is_string())
    return invalid(error_code::bad_request, "message needs a string \"action\"");
  std::string_view name = action->get_string();
  client_command c;
  if (name == "ping") {
    c.kind = op::ping;
    return c;
  }
  if (name != "subscribe" && name != "unsubscribe")
    return invalid(error_code::unknown_op, "unknown action \"" + std::string(name) + "\"");
  auto* col = member(o, "collection");
  if (!col || !col->is_string())
    return invalid(error_code::bad_request, "\"collection\" must be a string");
  c.topics.emplace_back(col->get_string());
  if (name == "unsubscribe") {
    c.kind = op::unsubscribe;
    return c;
  }
  if (auto* ops = member(o, "operations"); ops && !ops->is_null()) {
    if (!ops->is_array())
      return invalid(error_code::invalid_filter, "\"operations\" must be an array");
    json::array stored;
    for (const auto& x : ops->get_array()) {
      auto s = x.is_string() ? stored_operation(x.get_string()) : std::nullopt;
      if (!s)
        return invalid(error_code::invalid_filter,
                       "\"operations\" entries are \"create\", \"update\" or \"delete\"");
      stored.emplace_back(*s);
    }
    if (stored.empty())
      return invalid(error_code::invalid_filter, "\"operations\" must not be empty");
    if (!codec::compile_into(json::object{{"operations", std::move(stored)}}, c))
      return c;
  }
  c.kind = op::subscribe;
  return c;
}

std::optional<std::string> encode_event(const event& e, std::string_view local,
                                        const json::value& data) {
  constexpr std::string_view family = "postgres:";
  if (local.substr(0, family.size()) != family)
    return std::nullopt;
  auto collection = local.substr(family.size());
  if (!valid_collection(collection))
    return std::nullopt;
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
  out += body == &data ? e.data_json : json::serialize(*body);
  out += '}';
  return out;
}

std::string encode_subscribed(std::string_view collection) {
  return string_object({{"status", "subscribed"}, {"collection", collection}});
}

std::string encode_unsubscribed(std::string_view collection) {
  return string_object({{"status", "unsubscribed"}, {"collection", collection}});
}

std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view collection) {
  return string_object({{"status", "error"},
                        {"code", code},
                        {"collection", collection, true},
                        {"message", message}});
}

std::string encode_pong() {
  return "{\"type\":\"pong\"}";
}

std::string encode_heartbeat(std::int64_t wall_ms) {
  return "{\"type\":\"heartbeat\",\"timestamp\":\"" + format_timestamp(wall_ms) + "\"}";
}

std::variant<ingest, ingest_error> parse_ingest(std::string_view collection,
                                                const json::object& body) {
  auto bad = [](std::string message) {
    return ingest_error{std::string(error_code::bad_request), std::move(message)};
  };
  ingest in;
  auto* op = member(body, "operation");
  auto stored = op && op->is_string() ? stored_operation(op->get_string()) : std::nullopt;
  if (!stored)
    return bad("\"operation\" must be \"create\", \"update\" or \"delete\"");
  in.type = std::string(*stored);
  auto* data = member(body, "data");
  if (!data || !data->is_object())
    return bad("\"data\" must be an object (the record)");
  if (!optional_string(body, "correlationId", in.correlation_id))
    return bad("\"correlationId\" must be a string");
  if (!optional_string(body, "idempotencyKey", in.idempotency_key))
    return bad("\"idempotencyKey\" must be a string");
  json::object change{{"operation", in.type}, {"table", collection}};
  if (in.type == "DELETE") {
    change["record"] = nullptr;
    change["oldRecord"] = *data;
  } else {
    change["record"] = *data;
  }
  in.data_json = json::serialize(change);
  return in;
}

} // namespace sy::snackbase
