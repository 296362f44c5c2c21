// Fabric's room frames: decoding join/leave/presence/state/publish-to-room and encoding what
// the room actor sends (joined, presence, state, metadata, left, room errors). Pure; the room
// actor encodes each frame once and every member shares the bytes.
#include "schema/dialects/fabric/fabric.hpp"

#include <boost/json/serialize.hpp>

#include "schema/codes.hpp"
#include "schema/dialects/codec_support.hpp"
#include "schema/json_text.hpp"
#include "schema/room.hpp"

namespace json = boost::json;

namespace sy::fabric {

using codec::invalid;

namespace {

// An optional object member ("info"): absent/null -> "{}"; refused when not an object.
bool object_text(const json::object& o, std::string_view key, std::string& out, bool required) {
  const auto* v = codec::member(o, key);
  if (!v || v->is_null()) {
    out = "{}";
    return !required;
  }
  if (!v->is_object() || !finite_numbers(*v))
    return false;
  out = json::serialize(*v);
  return true;
}

} // namespace

client_command decode_room(std::string_view name, const json::object& o) {
  client_command c;
  const auto* room = codec::member(o, "room");
  if (!room || !room->is_string())
    return invalid(error_code::bad_request, "\"" + std::string(name)
                                              + "\" needs a string \"room\"");
  c.room = std::string(room->get_string());
  if (!valid_room_name(c.room))
    return invalid(error_code::invalid_topic,
                   "room names are characters of [A-Za-z0-9._:-] (the channel is room.<name>, "
                   "at most 200 characters)");
  if (name == "join") {
    if (!object_text(o, "info", c.body_json, false))
      return invalid(error_code::bad_request, "\"info\" must be a JSON object");
    const auto* since = codec::member(o, "since");
    if (since && !since->is_null()) {
      if (!since->is_string())
        return invalid(error_code::bad_cursor, "\"since\" must be a cursor string");
      c.since.emplace_back(room_channel(c.room), std::string(since->get_string()));
    }
    c.kind = op::join;
  } else if (name == "leave") {
    c.kind = op::leave;
  } else if (name == "presence") {
    if (!object_text(o, "info", c.body_json, true))
      return invalid(error_code::bad_request, "presence needs an \"info\" object");
    c.kind = op::presence;
  } else if (name == "state") {
    if (!object_text(o, "patch", c.body_json, true))
      return invalid(error_code::bad_request, "state needs a \"patch\" object");
    const auto* v = codec::member(o, "version");
    if (!v || !(v->is_uint64() || (v->is_int64() && v->get_int64() >= 0)))
      return invalid(error_code::bad_request,
                     "state needs \"version\": the non-negative version the patch applies to");
    c.version = v->is_uint64() ? v->get_uint64() : static_cast<std::uint64_t>(v->get_int64());
    c.kind = op::state;
  } else { // publish
    if (!codec::optional_string(o, "type", c.event_type))
      return invalid(error_code::bad_request, "\"type\" must be a string");
    if (c.event_type.empty())
      c.event_type = "message";
    const auto* data = codec::member(o, "data");
    if (!data)
      return invalid(error_code::bad_request, "publish needs \"data\"");
    if (!finite_numbers(*data))
      return invalid(error_code::bad_json, "\"data\" has a number outside the range of a double");
    c.body_json = json::serialize(*data);
    const auto* vol = codec::member(o, "volatile");
    if (vol && !vol->is_null() && !vol->is_bool())
      return invalid(error_code::bad_request, "\"volatile\" must be a boolean");
    c.volatile_event = vol && vol->is_bool() && vol->get_bool();
    c.kind = op::room_publish;
  }
  return c;
}

std::string encode_member(std::string_view member, std::string_view user, std::string_view info,
                          std::int64_t joined_ms) {
  std::string out = "{\"member\":";
  append_json_string(out, member);
  out += ",\"user\":";
  append_json_string(out, user);
  out += ",\"info\":";
  out += info;
  out += ",\"joinedAt\":\"";
  append_timestamp(out, joined_ms);
  out += "\"}";
  return out;
}

std::string encode_joined(std::string_view room, std::string_view member,
                          std::string_view members, std::string_view metadata,
                          std::string_view state, std::uint64_t version) {
  std::string out = "{\"op\":\"joined\",\"room\":";
  append_json_string(out, room);
  out += ",\"member\":";
  append_json_string(out, member);
  out += ",\"members\":";
  out += members;
  out += ",\"metadata\":";
  out += metadata;
  out += ",\"state\":";
  out += state;
  out += ",\"version\":";
  out += std::to_string(version);
  out += '}';
  return out;
}

std::string encode_presence(std::string_view room, std::string_view joins,
                            std::string_view leaves, std::string_view updates) {
  std::string out = "{\"op\":\"presence\",\"room\":";
  append_json_string(out, room);
  out += ",\"joins\":";
  out += joins;
  out += ",\"leaves\":";
  out += leaves;
  out += ",\"updates\":";
  out += updates;
  out += '}';
  return out;
}

std::string encode_state(std::string_view room, std::string_view patch, std::uint64_t version,
                         std::string_view member) {
  std::string out = "{\"op\":\"state\",\"room\":";
  append_json_string(out, room);
  out += ",\"patch\":";
  out += patch;
  out += ",\"version\":";
  out += std::to_string(version);
  out += ",\"member\":";
  if (member.empty())
    out += "null"; // a backend's patch (REST)
  else
    append_json_string(out, member);
  out += '}';
  return out;
}

std::string encode_metadata(std::string_view room, std::string_view metadata) {
  std::string out = "{\"op\":\"metadata\",\"room\":";
  append_json_string(out, room);
  out += ",\"metadata\":";
  out += metadata;
  out += '}';
  return out;
}

std::string encode_left(std::string_view room) {
  return string_object({{"op", "left"}, {"room", room}});
}

std::string encode_volatile_event(std::string_view room, std::int64_t wall_ms,
                                  std::string_view type, std::string_view data,
                                  std::string_view member, std::string_view user) {
  const auto channel = room_channel(room);
  std::string out = "{\"op\":\"event\",\"topic\":";
  append_json_string(out, channel);
  out += ",\"channel\":";
  append_json_string(out, channel);
  out += ",\"timestamp\":\"";
  append_timestamp(out, wall_ms);
  out += "\",\"type\":";
  append_json_string(out, type);
  out += ",\"data\":";
  out += data;
  out += ",\"metadata\":{\"member\":";
  append_json_string(out, member);
  out += ",\"user\":";
  append_json_string(out, user);
  out += "},\"volatile\":true}";
  return out;
}

std::string encode_version_conflict(std::string_view room, std::uint64_t version) {
  std::string out = "{\"op\":\"error\",\"code\":\"version_conflict\",\"room\":";
  append_json_string(out, room);
  out += ",\"version\":";
  out += std::to_string(version);
  out += '}';
  return out;
}

std::string encode_room_error(std::string_view code, std::string_view message,
                              std::string_view room) {
  return string_object({{"op", "error"}, {"code", code}, {"room", room}, {"message", message}});
}

} // namespace sy::fabric
