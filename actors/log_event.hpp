#pragma once
// Builds the router's own records (connect/disconnect/slow-consumer, quota, audit) as
// publishes: the whole record to the admin-only `log.audit`, and a view without client
// identity to `log.event`, which any token may read (schema/audit_channels.hpp).
#include <array>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "schema/audit_channels.hpp"
#include "schema/messages.hpp"

namespace sy {

/// The fields of `data` that identify no client and carry no auth outcome: the session id, the
/// dialect, close code and reason, counts, the quota hit, the effective config. Everything
/// else (addresses, subjects, user agents, origins, workspaces, routes, refusal reasons) stays
/// out of the public record.
boost::json::object public_log_data(std::string_view type, const boost::json::object& data);

/// `data` becomes the event data on `channel`; sessionId and sub are copied into metadata for
/// scopes.
publish_cmd make_log_event(std::string_view channel, std::string type,
                           const boost::json::object& data);

/// One record as its two publishes: [0] the public view to log.event, [1] the whole record to
/// log.audit.
std::array<publish_cmd, 2> make_log_events(std::string type, const boost::json::object& data);

} // namespace sy
