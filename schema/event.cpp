#include "schema/event.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "schema/dialects/registry.hpp"
#include "schema/json_text.hpp"

namespace sy {

// "<epoch hex>-<seq decimal>". std::to_chars, not snprintf: one per event, on the publish path.
std::string format_cursor(cursor c) {
  char buf[48];
  auto r = std::to_chars(buf, buf + 20, c.epoch, 16);
  *r.ptr++ = '-';
  r = std::to_chars(r.ptr, buf + sizeof buf, c.seq);
  return std::string(buf, r.ptr);
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

namespace {

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

} // namespace

// Written by hand: snprintf and gmtime_r were ~1.5% of a REST publish (one timestamp per
// event). The civil date comes from the day count with the usual era arithmetic (400-year
// eras of 146,097 days, years starting in March so the leap day is last).
void append_timestamp(std::string& out, std::int64_t ms) {
  // Floor division by remainders: ms - 999 and secs * 1000 would overflow near INT64_MIN.
  std::int64_t rem = ms % 1000;
  std::int64_t secs = ms / 1000 - (rem < 0 ? 1 : 0);
  auto milli = static_cast<unsigned>(rem < 0 ? rem + 1000 : rem);
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  auto sod = static_cast<unsigned>(secs - days * 86400);
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned day = doy - (153 * mp + 2) / 5 + 1;
  unsigned month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2)
    ++year;
  if (year < 0 || year > 9999) { // outside RFC 3339's four digits: not a time we produce
    year = year < 0 ? 0 : 9999;
  }
  char buf[25] = "0000-00-00T00:00:00.000Z";
  auto y = static_cast<unsigned>(year);
  put2(buf, y / 100);
  put2(buf + 2, y % 100);
  put2(buf + 5, month);
  put2(buf + 8, day);
  put2(buf + 11, sod / 3600);
  put2(buf + 14, sod / 60 % 60);
  put2(buf + 17, sod % 60);
  buf[20] = static_cast<char>('0' + milli / 100);
  put2(buf + 21, milli % 100);
  out.append(buf, 24);
}

std::string format_timestamp(std::int64_t ms) {
  std::string out;
  append_timestamp(out, ms);
  return out;
}

encoded_event encode_event(event e) {
  encoded_event out;
  out.id = format_cursor({e.epoch, e.seq});
  // Field order is part of the documented shape (PROTOCOL.md) and of the golden tests. The
  // members are written once, into the REST object; the live frame copies them from there.
  std::string& body = out.rest_json;
  // Every member's size, plus room for names, punctuation and escapes: a body that outgrew its
  // reservation would double its capacity, and every retained event would carry the slack.
  body.reserve(e.data_json.size() + e.metadata_json.size() + 2 * e.channel.size()
               + 2 * e.type.size() + 2 * e.idempotency_key.size() + 2 * e.correlation_id.size()
               + 192);
  body += "{\"channel\":";
  append_json_string(body, e.channel);
  body += ",\"seq\":";
  body += std::to_string(e.seq);
  body += ",\"id\":";
  append_json_string(body, out.id);
  body += ",\"timestamp\":\"";
  append_timestamp(body, e.timestamp_ms);
  body += "\",\"type\":";
  append_json_string(body, e.type);
  const bool receipt = e.data_json.empty(); // see encode_event in event.hpp
  if (!receipt) {
    body += ",\"data\":";
    body += e.data_json;
    body += ",\"metadata\":";
    body += e.metadata_json;
  }
  if (!e.idempotency_key.empty()) {
    body += ",\"idempotencyKey\":";
    append_json_string(body, e.idempotency_key);
  }
  if (!e.correlation_id.empty()) {
    body += ",\"correlationId\":";
    append_json_string(body, e.correlation_id);
  }
  body += '}';
  if (receipt) { // nothing to deliver: no live frames
    out.ev = std::move(e);
    return out;
  }
  // Every dialect that serves the channel gets its live frame here, once per event, whoever
  // subscribes: one call per registered dialect, none per subscriber.
  {
    const std::string_view members(body.data() + 1, body.size() - 2); // without the braces
    live_input in(e, out.id, members);
    for (const dialect_descriptor* d : dialects())
      if (auto f = d->live(in))
        out.live[static_cast<std::size_t>(d->id)] = make_frame(std::move(*f));
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
