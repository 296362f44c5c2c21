#pragma once
// Builds publishes to the `log.event` channel (connect/disconnect/slow-consumer, later audit).
#include <string>

#include <boost/json/object.hpp>

#include "schema/messages.hpp"

namespace sy {

inline constexpr const char* log_event_channel = "log.event";

/// `data` becomes the event data; sessionId and sub are copied into metadata for scopes.
publish_cmd make_log_event(std::string type, const boost::json::object& data);

} // namespace sy
