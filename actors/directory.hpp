#pragma once
// Maps channel names to channel actors: spawns on first use, forwards publishes, subscribes and
// history reads, and retires a channel only when the channel has seen every message the
// directory sent it (so nothing is in flight to a retiring channel).
#include <memory>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

directory_actor spawn_directory(caf::actor_system& sys, std::shared_ptr<const config> cfg);

} // namespace sy
