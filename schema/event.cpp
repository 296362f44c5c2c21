#include "schema/event.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <boost/json/parse.hpp>

#include "schema/dialect_gateway.hpp"
#include "schema/dialect_snackbase.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

namespace sy {

std::string format_cursor(cursor c) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%llx-%llu", static_cast<unsigned long long>(c.epoch),
                        static_cast<unsigned long long>(c.seq));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<cursor> parse_cursor(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 >= text.size() || dash > 16)
    return std::nullopt;
  cursor c;
  const char* b = text.data();
  const char* e = text.data() + text.size();
  auto r1 = std::from_chars(b, b + dash, c.epoch, 16);
  if (r1.ec != std::errc{} || r1.ptr != b + dash)
    return std::nullopt;
  auto r2 = std::from_chars(b + dash + 1, e, c.seq, 10);
  if (r2.ec != std::errc{} || r2.ptr != e)
    return std::nullopt;
  return c;
}

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string format_timestamp(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(ms % 1000));
  return std::string(buf, static_cast<std::size_t>(n));
}

encoded_event encode_event(event e) {
  encoded_event out;
  out.id = format_cursor({e.epoch, e.seq});
  // Field order is part of the documented shape (PROTOCOL.md) and of the golden tests.
  std::string body;
  body.reserve(e.data_json.size() + e.metadata_json.size() + e.channel.size() + 160);
  body += "\"channel\":";
  append_json_string(body, e.channel);
  body += ",\"seq\":";
  body += std::to_string(e.seq);
  body += ",\"id\":";
  append_json_string(body, out.id);
  body += ",\"timestamp\":\"";
  body += format_timestamp(e.timestamp_ms);
  body += "\",\"type\":";
  append_json_string(body, e.type);
  body += ",\"data\":";
  body += e.data_json;
  body += ",\"metadata\":";
  body += e.metadata_json;
  if (!e.idempotency_key.empty()) {
    body += ",\"idempotencyKey\":";
    append_json_string(body, e.idempotency_key);
  }
  if (!e.correlation_id.empty()) {
    body += ",\"correlationId\":";
    append_json_string(body, e.correlation_id);
  }
  out.rest_json.reserve(body.size() + 2);
  out.rest_json += '{';
  out.rest_json += body;
  out.rest_json += '}';

  std::string frame;
  frame.reserve(body.size() + e.channel.size() + 48);
  frame += "{\"op\":\"event\",\"topic\":";
  append_json_string(frame, e.channel);
  frame += ',';
  frame += body;
  frame += ",\"snapshot\":false}";
  out.live[static_cast<std::size_t>(dialect::fabric)] = make_frame(std::move(frame));
  // Workspace channels also have gateway frames (and their postgres: channels SnackBase
  // frames): encoded here, once per event, whoever subscribes.
  if (auto ws = split_workspace_channel(e.channel)) {
    boost::system::error_code ec;
    auto data = boost::json::parse(e.data_json, ec);
    if (!ec) {
      if (auto f = gateway::encode_event(e, out.id, ws->local, data))
        out.live[static_cast<std::size_t>(dialect::gateway)] = make_frame(std::move(*f));
      if (auto f = snackbase::encode_event(e, ws->local, data))
        out.live[static_cast<std::size_t>(dialect::snackbase)] = make_frame(std::move(*f));
    }
  }
  out.ev = std::move(e);
  return out;
}

} // namespace sy

namespace sy {

bool valid_channel_name(std::string_view name) {
  if (name.empty() || name.size() > 200)
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

} // namespace sy

namespace sy {

bool valid_channel_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.back() != '*' || pattern.size() > 201)
    return false;
  auto prefix = pattern.substr(0, pattern.size() - 1);
  return prefix.empty() || valid_channel_name(prefix);
}

} // namespace sy
