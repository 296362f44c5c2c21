// The gateway codec: client frames in, replies out, and the refusals that close.
#include "schema/dialects/gateway/gateway.hpp"

#include <boost/json/parse.hpp>

#include "schema/codes.hpp"
#include "schema/dialects/codec_support.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy::gateway {

using codec::invalid;
using codec::member;

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
         || c == '_' || c == ':' || c == '-';
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

topic_mapping map_topic(std::string_view topic, std::string_view workspace) {
  if (!valid_channel(topic, true))
    return {{},
            std::string(error_code::channel_unavailable),
            "channels are postgres:*, postgres:{table}, mongo:*, mongo:{collection}, "
            "events:* and events:{topic}"};
  return {workspace_channel(workspace, topic), {}, {}};
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

dialect_reply reply_error(std::string_view code, std::string_view message,
                          std::string_view channel) {
  if (auto close = close_code_for(code))
    return {{}, close, std::string(code == error_code::invalid_topic
                                     ? error_code::channel_unavailable
                                     : code)};
  return {encode_error(code, message, channel), 0, {}};
}

} // namespace sy::gateway
