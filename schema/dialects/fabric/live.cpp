// The Fabric live frame: the REST object's members, copied from the bytes encode_event wrote
// once, inside {"op":"event","topic":...,"snapshot":false}.
#include "schema/dialects/fabric/fabric.hpp"

#include "schema/json_text.hpp"

namespace sy::fabric {

std::optional<std::string> encode_live(live_input& in) {
  const auto& channel = in.ev().channel;
  std::string frame;
  frame.reserve(in.members().size() + channel.size() + 48);
  frame += "{\"op\":\"event\",\"topic\":";
  append_json_string(frame, channel);
  frame += ',';
  frame += in.members();
  frame += ",\"snapshot\":false}";
  return frame;
}

std::string encode_snapshot(const encoded_event& e) {
  const std::string& live = *e.frame(dialect::fabric);
  static constexpr std::string_view tail = "false}";
  std::string out(live, 0, live.size() - tail.size());
  out += "true}";
  return out;
}

} // namespace sy::fabric
