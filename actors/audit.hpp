#pragma once
// The audit trail: auth granted/denied, sessions suspended/resumed, quota and config events.
// Every record goes whole to the admin-only log.audit and, without client identity, to
// log.event (actors/log_event.hpp); the gateway's four audit events also go whole to
// their console.realtime.* channels (admin-only); with audit.file set, each record is appended
// as one JSON line. Records carry subjects, addresses and reasons -- never a token or a secret.
#include <memory>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

audit_actor spawn_audit(caf::actor_system& sys, directory_actor directory,
                        std::shared_ptr<const config> cfg);

} // namespace sy
