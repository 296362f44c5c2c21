#pragma once
// Connection quotas across sessions: how many WebSocket sessions each token subject and each
// client address holds. Sessions ask on start and report when they end: a message flow, no
// shared counters.
#include <memory>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

quota_actor spawn_quota(caf::actor_system& sys, std::shared_ptr<const config> cfg);

} // namespace sy
