#pragma once
// One actor per live channel. Owns the sequence counter, the history store, the idempotency
// window and the subscriber groups. Publish = dedupe, sequence, append, fan out, in one turn.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

struct channel_args {
  std::string name;
  std::uint64_t epoch = 0;
  directory_actor directory;
  std::shared_ptr<const config> cfg;
};

channel_actor spawn_channel(caf::actor_system& sys, channel_args args);

} // namespace sy
