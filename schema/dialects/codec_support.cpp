#include "schema/dialects/codec_support.hpp"

#include <boost/json/parse.hpp>

#include "schema/codes.hpp"

namespace sy::codec {

client_command invalid(std::string_view code, std::string message) {
  client_command c;
  c.error_code = std::string(code);
  c.error_message = std::move(message);
  return c;
}

bool parse_object(std::string_view text, boost::json::value& out, client_command& err) {
  boost::system::error_code ec;
  out = boost::json::parse(text, ec);
  if (ec) {
    err = invalid(error_code::bad_json, "frame is not valid JSON: " + ec.message());
    return false;
  }
  if (!out.is_object()) {
    err = invalid(error_code::bad_request, "frame must be a JSON object");
    return false;
  }
  return true;
}

const boost::json::value* member(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

bool optional_string(const boost::json::object& o, std::string_view key, std::string& out) {
  auto* v = member(o, key);
  if (!v || v->is_null())
    return true;
  if (!v->is_string())
    return false;
  out = std::string(v->get_string());
  return true;
}

bool compile_into(const boost::json::object& spec, client_command& c) {
  auto compiled = compile_filter(spec);
  if (auto* err = std::get_if<filter_error>(&compiled)) {
    c = invalid(error_code::invalid_filter, err->message);
    return false;
  }
  c.filter = std::make_shared<const event_filter>(std::get<event_filter>(std::move(compiled)));
  return true;
}

} // namespace sy::codec
