#pragma once
// One encoded WebSocket text message, shared by every session that sends it: an event is
// serialized once per wire format and the same bytes go to every subscriber.
#include <memory>
#include <string>

namespace sy {

using frame_ptr = std::shared_ptr<const std::string>;

inline frame_ptr make_frame(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

} // namespace sy
