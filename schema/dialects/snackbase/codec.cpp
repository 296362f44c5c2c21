// The SnackBase codec: client messages in, replies out (refusals are error frames; the
// connection stays open).
#include "schema/dialects/snackbase/snackbase.hpp"

#include <boost/json/array.hpp>

#include "schema/codes.hpp"
#include "schema/dialects/codec_support.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy::snackbase {

using codec::invalid;
using codec::member;

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

topic_mapping map_topic(std::string_view topic, std::string_view workspace) {
  if (!valid_collection(topic))
    return {{}, std::string(error_code::invalid_topic),
            "collection names are 1-128 characters of [A-Za-z0-9_-]"};
  return {workspace_channel(workspace, "postgres:" + std::string(topic)), {}, {}};
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

dialect_reply reply_error(std::string_view code, std::string_view message,
                          std::string_view collection) {
  return {encode_error(code, message, collection), 0, {}};
}

} // namespace sy::snackbase
