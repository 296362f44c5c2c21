#pragma once
// Maps channel names to channel actors: spawns on first use, forwards publishes, subscribes and
// history reads, and retires a channel only when the channel has seen every message the
// directory sent it (so nothing is in flight to a retiring channel).
#include <memory>

#include "config/config.hpp"
#include "schema/messages.hpp"
#include "schema/store_messages.hpp"

namespace sy {

/// `store`: the node's history store (storage.engine = rocksdb), handed to every channel;
/// null with the memory engine.
directory_actor spawn_directory(caf::actor_system& sys, std::shared_ptr<const config> cfg,
                                store_actor store = {});

} // namespace sy
