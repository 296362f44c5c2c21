#include "actors/log_event.hpp"

#include <boost/json/serialize.hpp>

#include "schema/json_text.hpp"

namespace sy {

boost::json::object public_log_data(std::string_view type, const boost::json::object& data) {
  // An allowlist: a field added to a record later stays admin-only until it is named here.
  static constexpr std::string_view shown[] = {"sessionId", "dialect",    "code",
                                               "durationMs", "topics",    "limitBytes",
                                               "quota",     "replayed",   "config"};
  // Close and quota reasons are fixed texts (or the client's own close reason); an auth
  // refusal's reason is an auth outcome, which only admins see.
  const bool reason_shown = type.substr(0, 5) != "auth.";
  boost::json::object out;
  for (const auto& kv : data) {
    bool keep = reason_shown && kv.key() == "reason";
    for (auto name : shown)
      keep = keep || kv.key() == name;
    if (keep)
      out.emplace(kv.key(), kv.value());
  }
  return out;
}

publish_cmd make_log_event(std::string_view channel, std::string type,
                           const boost::json::object& data) {
  publish_cmd cmd;
  cmd.channel = std::string(channel);
  cmd.type = std::move(type);
  cmd.data_json = boost::json::serialize(data);
  boost::json::object md;
  for (const char* key : {"sessionId", "sub"})
    if (auto it = data.find(key); it != data.end()) {
      md[key] = it->value();
      cmd.metadata.emplace_back(key, scalar_text(it->value()));
    }
  cmd.metadata_json = boost::json::serialize(md);
  return cmd;
}

std::array<publish_cmd, 2> make_log_events(std::string type, const boost::json::object& data) {
  auto shown = make_log_event(log_event_channel, type, public_log_data(type, data));
  return {std::move(shown), make_log_event(log_audit_channel, std::move(type), data)};
}

} // namespace sy
