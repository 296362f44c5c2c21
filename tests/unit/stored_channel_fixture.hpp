#pragma once
// Channel tests on the real history store actor over RocksDB in a temporary directory, whose
// disk can be made to fail (store_fixture.hpp) and whose batches the test can hold (hooks).
#include <memory>

#include "channel_fixture.hpp"
#include "store_fixture.hpp"

#include "actors/history_store_actor.hpp"
#include "actors/rocksdb_store.hpp"

namespace sy::test_channel {

struct stored_fixture : fixture {
  test_store::temp_dir tmp;
  std::shared_ptr<test_store::full_disk_fs> fs = std::make_shared<test_store::full_disk_fs>();
  store_actor store;

  void start_stored(history_store_hooks hooks = {}) {
    store_options o;
    o.cache_bytes = 8u << 20;
    o.env = test_store::env_on(fs);
    auto db = open_store(tmp.sub("db"), o);
    INFO(db.error().message);
    REQUIRE(db);
    store = spawn_history_store(sys, std::shared_ptr<rocksdb_store>(std::move(*db)),
                                std::move(hooks));
    dir = spawn_directory(sys, cfg, store);
  }
  // A new directory on the same store: every channel starts again from what is stored.
  void restart_directory() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    self->wait_for(dir);
    dir = spawn_directory(sys, cfg, store);
  }
  // Stops the store and waits: a test whose hooks refer to its locals calls this before they
  // go out of scope.
  void stop_store() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    self->wait_for(dir, store);
  }
  ~stored_fixture() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  }
};

} // namespace sy::test_channel
