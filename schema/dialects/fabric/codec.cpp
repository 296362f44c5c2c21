// The Fabric codec: client frames in, replies out (Fabric answers every refusal with an error
// frame and keeps the connection).
#include "schema/dialects/fabric/fabric.hpp"

#include <algorithm>
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "schema/dialects/codec_support.hpp"
#include "schema/codes.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy::fabric {

using codec::invalid;

namespace {

// Reads "topics": a non-empty array of strings.
bool read_topics(const json::object& o, client_command& c) {
  auto it = o.find("topics");
  if (it == o.end() || !it->value().is_array() || it->value().get_array().empty())
    return false;
  for (const auto& t : it->value().get_array()) {
    if (!t.is_string())
      return false;
    c.topics.emplace_back(t.get_string().data(), t.get_string().size());
  }
  return true;
}

} // namespace

client_command decode(std::string_view text) {
  json::value v;
  client_command refused;
  if (!codec::parse_object(text, v, refused))
    return refused;
  const auto& o = v.get_object();
  auto op_it = o.find("op");
  if (op_it == o.end() || !op_it->value().is_string())
    return invalid(error_code::bad_request, "frame needs a string \"op\"");
  std::string_view name = op_it->value().get_string();
  client_command c;
  if (name == "ping") {
    c.kind = op::ping;
    return c;
  }
  if (name == "refresh") {
    auto t = o.find("token");
    if (t == o.end() || !t->value().is_string() || t->value().get_string().empty())
      return invalid(error_code::bad_request, "refresh needs a string \"token\"");
    c.kind = op::refresh;
    c.token = std::string(t->value().get_string());
    return c;
  }
  // Rooms: join/leave/presence/state always name a room; publish is a room publish (Fabric
  // publishes to channels go through REST).
  if (name == "join" || name == "leave" || name == "presence" || name == "state"
      || name == "publish")
    return decode_room(name, o);
  if (name == "subscribe" || name == "unsubscribe") {
    if (!read_topics(o, c))
      return invalid(error_code::bad_request,
                     "\"topics\" must be a non-empty array of strings");
    if (name == "unsubscribe") {
      c.kind = op::unsubscribe;
      return c;
    }
    if (auto s = o.find("scopes"); s != o.end() && !s->value().is_null()
                                   && !s->value().is_object())
      return invalid(error_code::bad_request, "\"scopes\" must be an object");
    // Server-side filter: "scopes" (metadata) plus an optional "filter" object
    // ({operations, entity, predicates}, FILTERS.md), compiled once here.
    json::object spec;
    if (auto s = o.find("filter"); s != o.end() && !s->value().is_null()) {
      if (!s->value().is_object())
        return invalid(error_code::invalid_filter, "\"filter\" must be an object");
      spec = s->value().get_object();
      if (spec.contains("scopes"))
        return invalid(error_code::invalid_filter,
                       "put scopes next to \"filter\", not inside it");
    }
    if (auto s = o.find("scopes"); s != o.end() && !s->value().is_null())
      spec["scopes"] = s->value();
    if (!spec.empty() && !codec::compile_into(spec, c))
      return c;
    if (auto s = o.find("since"); s != o.end() && !s->value().is_null()) {
      if (!s->value().is_object())
        return invalid(error_code::bad_request,
                       "\"since\" must be an object of topic -> cursor");
      for (const auto& kv : s->value().get_object()) {
        if (!kv.value().is_string())
          return invalid(error_code::bad_cursor, "cursor for \"" + std::string(kv.key())
                                                   + "\" must be a string");
        const auto& cur = kv.value().get_string();
        c.since.emplace_back(std::string(kv.key()), std::string(cur.data(), cur.size()));
      }
    }
    c.kind = op::subscribe;
    return c;
  }
  return invalid(error_code::unknown_op, "unknown op \"" + std::string(name) + "\"");
}

topic_mapping map_topic(std::string_view topic, std::string_view) {
  bool pattern = topic.find('*') != std::string_view::npos;
  if (pattern ? !valid_channel_pattern(topic) : !valid_channel_name(topic))
    return {{},
            std::string(error_code::invalid_topic),
            "topic names are 1-200 characters of [A-Za-z0-9._:-]; wildcards are \"prefix*\" or "
            "\"*\""};
  return {std::string(topic), {}, {}};
}

std::string encode_subscribed(std::string_view topic, std::string_view cursor, std::size_t replay,
                              std::optional<bool> recovered) {
  std::string out = "{\"op\":\"subscribed\",\"topic\":";
  append_json_string(out, topic);
  out += ",\"cursor\":";
  append_json_string(out, cursor);
  out += ",\"replay\":";
  out += std::to_string(replay);
  if (recovered) {
    out += ",\"recovered\":";
    out += *recovered ? "true" : "false";
  }
  out += '}';
  return out;
}

std::string encode_unsubscribed(std::string_view topic) {
  return string_object({{"op", "unsubscribed"}, {"topic", topic}});
}

std::string encode_error(std::string_view code, std::string_view message, std::string_view topic) {
  return string_object(
    {{"op", "error"}, {"code", code}, {"topic", topic, true}, {"message", message}});
}

std::string encode_pong() {
  return "{\"op\":\"pong\"}";
}

std::string encode_refreshed(std::optional<std::int64_t> exp_s) {
  if (!exp_s)
    return "{\"op\":\"refreshed\",\"expiresAt\":null}";
  // exp is the token's claim, any int64: clamped so the milliseconds cannot overflow (the
  // timestamp caps years at 9999 anyway).
  constexpr std::int64_t max_s = std::numeric_limits<std::int64_t>::max() / 1000;
  auto s = std::clamp(*exp_s, -max_s, max_s);
  return "{\"op\":\"refreshed\",\"expiresAt\":\"" + format_timestamp(s * 1000) + "\"}";
}

std::string encode_heartbeat(std::int64_t wall_ms) {
  return "{\"op\":\"heartbeat\",\"timestamp\":\"" + format_timestamp(wall_ms) + "\"}";
}

} // namespace sy::fabric
