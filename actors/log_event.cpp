#include "actors/log_event.hpp"

#include <boost/json/serialize.hpp>

#include "schema/json_text.hpp"

namespace sy {

publish_cmd make_log_event(std::string type, const boost::json::object& data) {
  publish_cmd cmd;
  cmd.channel = log_event_channel;
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

} // namespace sy
