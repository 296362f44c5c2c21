// The SSE text of events, confirmations and the closing event.
#include "schema/dialects/sse/sse.hpp"

#include "schema/json_text.hpp"

namespace sy::sse {

std::string event_head(const event& e, std::string_view id) {
  std::string out;
  out.reserve(id.size() + e.type.size() + 24);
  out += "id: ";
  out += id;
  out += '\n';
  if (!e.type.empty() && e.type.find_first_of("\r\n") == std::string::npos) {
    out += "event: ";
    out += e.type;
    out += '\n';
  }
  out += "data: ";
  return out;
}

std::string encode_event_text(const encoded_event& e) {
  // rest_json is serialized JSON: a string's CR/LF are escaped, so it is one data line.
  std::string out = event_head(e.ev, e.id);
  out += e.rest_json;
  out += event_tail;
  return out;
}

std::string encode_subscribed(std::string_view channel, std::string_view cursor,
                              std::size_t replay, std::optional<bool> recovered) {
  std::string out = recovered && !*recovered ? "event: reset\ndata: {\"channel\":"
                                             : "event: subscribed\ndata: {\"channel\":";
  append_json_string(out, channel);
  out += ",\"cursor\":";
  append_json_string(out, cursor);
  out += ",\"replay\":";
  out += std::to_string(replay);
  if (recovered)
    out += *recovered ? ",\"recovered\":true" : ",\"recovered\":false";
  out += "}\n\n";
  return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  std::string out = "event: close\ndata: {\"code\":";
  out += std::to_string(code);
  out += ",\"reason\":";
  append_json_string(out, reason);
  out += "}\n\n";
  return out;
}

} // namespace sy::sse
