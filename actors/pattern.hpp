#pragma once
// One actor per wildcard pattern ("postgres:*", "*"). Holds the pattern's subscribers; every
// channel whose name matches sends it each burst once, and it fans the burst out to its
// subscribers with the concrete channel's frames. Patterns have no history: no replay.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

struct pattern_args {
  std::string pattern; // as subscribed, e.g. "postgres:*"
  directory_actor directory;
  std::shared_ptr<const config> cfg;
};

pattern_actor spawn_pattern(caf::actor_system& sys, pattern_args args);

} // namespace sy
