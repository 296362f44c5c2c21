#pragma once
// The history store actor: one per node, owns the RocksDB store (actors/rocksdb_store.hpp) and
// runs on a thread of its own (a detached actor), so WAL syncs and reads that miss the cache
// never block CAF's shared workers. Not yet used by channels (DURABILITY.md).
//
// Group commit: every append, trim and drop is staged as it is handled; the first one after a
// batch sends the actor a flush message, which queues behind everything already waiting. So a
// batch holds every write that arrived while the previous one was syncing, and an idle store
// writes a lone append at once. Each write is answered once its batch is on disk (store_written),
// or with a store error insufficient_storage when the batch failed: nothing is acknowledged that
// is not stored. Reads, loads and checkpoints write the staged batch first, so they see every
// write sent before them.
#include <functional>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/rocksdb_store.hpp"
#include "schema/store_messages.hpp"

namespace sy {

struct history_store_hooks {
  // Called on the store's thread before each batch is written. Tests hold the store here so
  // that the appends they send queue up; production leaves it empty.
  std::function<void()> before_batch;
};

/// Spawns the store actor (detached: its own thread). It closes `db` when it exits and no
/// other reference remains.
store_actor spawn_history_store(caf::actor_system& sys, std::shared_ptr<rocksdb_store> db,
                                history_store_hooks hooks = {});

} // namespace sy
