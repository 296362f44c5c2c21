// Channels with a durable store (storage.engine = rocksdb): a publish is acknowledged only once
// stored, a failed write is refused insufficient_storage without using a seq or delivering, and
// a channel that comes back (a new directory on the same store) keeps its epoch, seqs, history
// and idempotency keys.
#include <algorithm>
#include <thread>

#include "stored_channel_fixture.hpp"

#include "actors/history_store_actor.hpp"
#include "actors/rocksdb_store.hpp"
#include "schema/errc_caf.hpp"

using namespace sy::test_channel;
using namespace sy::test_store;


TEST_CASE("a channel with a store keeps epoch seqs history and keys when it comes back",
          "[unit][channel][store]") {
  stored_fixture f;
  f.start_stored();
  auto a = f.publish("ch", R"({"n":1})", "k1");
  auto b = f.publish("ch", R"({"n":2})", "k2");
  CHECK(b.ev->ev.seq == 2);
  f.restart_directory();
  // The retried key: the original, not a new event.
  auto dup = f.publish("ch", R"({"n":1})", "k1");
  CHECK(dup.duplicate);
  CHECK(dup.ev->id == a.ev->id);
  CHECK(dup.ev->ev.data_json == a.ev->ev.data_json); // from the reloaded history
  auto c = f.publish("ch", R"({"n":3})");
  CHECK(c.ev->ev.seq == 3);
  CHECK(c.ev->ev.epoch == a.ev->ev.epoch);
  history_query q;
  q.channel = "ch";
  q.limit = 10;
  q.has_cursor = true;
  q.after = cursor{a.ev->ev.epoch, 1};
  auto page = f.try_history(q);
  REQUIRE(page);
  CHECK(page->recovered);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("a publish the store cannot write is refused insufficient_storage and uses no seq",
          "[unit][channel][store]") {
  stored_fixture f;
  f.start_stored();
  f.publish("full", R"({"n":1})");
  f.subscribe("full", 7);
  f.expect_ack();
  *f.fs->full = true;
  publish_cmd cmd;
  cmd.channel = "full";
  cmd.data_json = R"({"n":2})";
  cmd.idempotency_key = "lost";
  auto refused = f.try_publish(cmd);
  REQUIRE_FALSE(refused);
  CHECK(errc_of(refused.error()) == errc::insufficient_storage);
  f.expect_nothing(); // nothing delivered
  // Room again: publishing resumes by itself, with the seq the refused event did not keep,
  // and its key was never remembered.
  *f.fs->full = false;
  auto again = f.publish("full", R"({"n":2})", "lost");
  CHECK_FALSE(again.duplicate);
  CHECK(again.ev->ev.seq == 2);
  auto [id, ev] = f.expect_delivery();
  CHECK(id == 7);
  CHECK(ev->ev.seq == 2);
}

TEST_CASE("with a store a subscribe after a publish not yet written gets it as history",
          "[unit][channel][store]") {
  stored_fixture f;
  f.cfg->namespaces = {{"snap.", 10, 5, "", ""}};
  f.start_stored();
  f.publish("snap.x", R"({"n":1})");
  // Sent back to back: the publish is with the store when the subscribe arrives.
  publish_cmd cmd;
  cmd.channel = "snap.x";
  cmd.data_json = R"({"n":2})";
  f.publish_unanswered(std::move(cmd));
  f.subscribe("snap.x", 3);
  auto ack = f.expect_ack();
  CHECK(seqs(ack.replay) == std::vector<std::uint64_t>{1, 2}); // the snapshot holds it
  f.expect_nothing(); // and it is not delivered live as well
}

// storage.cache_bytes so small that each hot tail keeps only its newest event: pages, resumes
// and snapshots read the rest from the store, with the same answers as from memory.
TEST_CASE("with a store pages resumes and snapshots beyond the hot tail are read from disk",
          "[unit][channel][store]") {
  stored_fixture f;
  f.cfg->namespaces = {{"snap.", 10, 4, "", ""}};
  f.cfg->storage_cache_bytes = 1;
  f.start_stored();
  std::uint64_t epoch = 0;
  for (int i = 1; i <= 6; ++i)
    epoch = f.publish("snap.x", R"({"n":)" + std::to_string(i) + "}").ev->ev.epoch;
  history_query q;
  q.channel = "snap.x";
  q.limit = 3;
  auto page = f.try_history(q);
  REQUIRE(page);
  CHECK(page->recovered);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(page->has_more);
  CHECK(page->events[1]->ev.data_json == R"({"n":2})"); // the stored fields, decoded
  q.limit = 10;
  q.has_cursor = true;
  q.after = cursor{epoch, 3};
  page = f.try_history(q);
  REQUIRE(page);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{4, 5, 6});
  // A resume from seq 2: every missed event, recovered, then live ones only once.
  f.subscribe("snap.x", 1, {}, cursor{epoch, 2});
  auto ack = f.expect_ack();
  CHECK(ack.recovered);
  CHECK(seqs(ack.replay) == std::vector<std::uint64_t>{3, 4, 5, 6});
  f.subscribe("snap.x", 2);
  ack = f.expect_ack();
  CHECK(ack.snapshot);
  CHECK(seqs(ack.replay) == std::vector<std::uint64_t>{3, 4, 5, 6});
  f.publish("snap.x", R"({"n":7})");
  std::vector<std::uint32_t> got;
  for (int i = 0; i < 2; ++i) {
    auto [id, ev] = f.expect_delivery();
    CHECK(ev->ev.seq == 7);
    got.push_back(id);
  }
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint32_t>{1, 2});
  f.expect_nothing();
}

// The memory engine under the same bound: the evicted events are gone, and a cursor before
// them is told so.
TEST_CASE("with the memory engine events evicted by storage.cache_bytes report recovered false",
          "[unit][channel]") {
  fixture f;
  f.cfg->storage_engine = "memory";
  f.cfg->storage_cache_bytes = 1;
  f.start();
  std::uint64_t epoch = 0;
  for (int i = 1; i <= 4; ++i)
    epoch = f.publish("snap.x", R"({"n":)" + std::to_string(i) + "}").ev->ev.epoch;
  f.subscribe("snap.x", 1, {}, cursor{epoch, 1});
  auto ack = f.expect_ack();
  CHECK_FALSE(ack.recovered);
  CHECK(seqs(ack.replay) == std::vector<std::uint64_t>{4});
}

namespace {

// The real store, except that the first `failures` loads fail with an I/O error.
store_actor::behavior_type flaky_loads(store_actor::pointer self, store_actor real,
                                       std::shared_ptr<int> failures) {
  return {
    [=](st_append_atom a, store_append& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_trim_atom a, store_trim& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_drop_atom a, store_drop& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_read_atom a, store_read& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_load_atom a, store_load& x) -> caf::result<store_channel_state> {
      if (*failures > 0) {
        --*failures;
        return make_store_error(store_status::fail(store_errc::io_error, "injected: unreadable"));
      }
      return self->delegate(real, a, std::move(x));
    },
    [=](st_ckpt_atom a, store_checkpoint& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_stats_atom a) { return self->delegate(real, a); },
    [=](st_room_atom a, store_room_write& x) { return self->delegate(real, a, std::move(x)); },
    [=](st_roomld_atom a, store_room_load& x) { return self->delegate(real, a, std::move(x)); },
    [](st_flush_atom) {},
  };
}

} // namespace

TEST_CASE("a channel whose stored state could not be read loads again on a later publish",
          "[unit][channel][store]") {
  stored_fixture f;
  f.start_stored();
  f.publish("ch", R"({"n":1})");
  f.publish("ch", R"({"n":2})");
  // A new directory whose store fails the channel's first load.
  caf::anon_send_exit(f.dir, caf::exit_reason::user_shutdown);
  f.self->wait_for(f.dir);
  auto failures = std::make_shared<int>(1);
  auto flaky = f.sys.spawn(flaky_loads, f.store, failures);
  f.dir = spawn_directory(f.sys, f.cfg, flaky);
  publish_cmd cmd;
  cmd.channel = "ch";
  cmd.data_json = R"({"n":3})";
  auto refused = f.try_publish(cmd);
  REQUIRE_FALSE(refused); // it could reuse stored seqs: refused, not sequenced from 1
  CHECK(errc_of(refused.error()) == errc::insufficient_storage);
  std::this_thread::sleep_for(1100ms); // a publish a second later loads again
  auto again = f.publish("ch", R"({"n":3})");
  CHECK(again.ev->ev.seq == 3);
  caf::anon_send_exit(flaky, caf::exit_reason::user_shutdown);
}

TEST_CASE("a channel with a TTL loads no expired event and trims them from the store",
          "[unit][channel][store][ttl]") {
  stored_fixture f;
  f.cfg->namespaces = {{"ttl.", 10, 0, "", "", 60}};
  const std::uint64_t epoch = 7;
  { // Stored before: seqs 1-3 two minutes old, 4-5 new.
    store_options o;
    o.cache_bytes = 8u << 20;
    auto db = open_store(f.tmp.sub("db"), o);
    REQUIRE(db);
    auto now = wall_clock_ms();
    std::vector<event_ptr> events;
    for (std::uint64_t seq = 1; seq <= 5; ++seq) {
      auto e = full_event("ttl.x", seq, epoch);
      e.timestamp_ms = seq <= 3 ? now - 120000 : now;
      events.push_back(std::make_shared<const encoded_event>(encode_event(std::move(e))));
    }
    (*db)->stage_append("ttl.x", store_channel_meta{epoch, 6}, events, {});
    REQUIRE((*db)->commit());
  }
  f.start_stored();
  history_query q;
  q.channel = "ttl.x";
  q.limit = 10;
  q.has_cursor = true;
  q.after = cursor{epoch, 1};
  auto page = f.try_history(q);
  REQUIRE(page);
  CHECK_FALSE(page->recovered); // seqs 2 and 3 expired
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{4, 5});
  q.after = cursor{epoch, 3};
  page = f.try_history(q);
  REQUIRE(page);
  CHECK(page->recovered);
  // The store no longer holds them: the channel trimmed them while loading.
  std::vector<std::uint64_t> stored;
  f.self
    ->request(f.store, std::chrono::seconds(5), st_read_atom::value,
              store_read{"ttl.x", 0, 100, 1u << 20})
    .receive(
      [&](const store_page& p) {
        for (const auto& e : p.events)
          stored.push_back(e.seq);
      },
      [&](const caf::error& err) { FAIL(f.sys.render(err)); });
  CHECK(stored == std::vector<std::uint64_t>{4, 5});
  CHECK(f.publish("ttl.x", R"({"n":6})").ev->ev.seq == 6);
}

// The hot tail keeps only its newest event (storage.cache_bytes): the expired events are on
// disk only, and reads from the store skip them.
TEST_CASE("with a store reads beyond the hot tail skip events past the TTL",
          "[unit][channel][store][ttl]") {
  stored_fixture f;
  f.cfg->namespaces = {{"ttl.", 10, 4, "", "", 1}};
  f.cfg->storage_cache_bytes = 1;
  f.start_stored();
  std::uint64_t epoch = 0;
  for (int i = 1; i <= 5; ++i)
    epoch = f.publish("ttl.y", R"({"n":)" + std::to_string(i) + "}").ev->ev.epoch;
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  f.publish("ttl.y", R"({"n":6})");
  std::this_thread::sleep_for(std::chrono::milliseconds(400)); // 1-5 expired, 6 is not
  history_query q;
  q.channel = "ttl.y";
  q.limit = 10;
  q.has_cursor = true;
  q.after = cursor{epoch, 2};
  auto page = f.try_history(q);
  REQUIRE(page);
  CHECK_FALSE(page->recovered);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{6});
  q.has_cursor = false;
  page = f.try_history(q);
  REQUIRE(page);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{6});
  f.subscribe("ttl.y", 1, {}, cursor{epoch, 3});
  auto ack = f.expect_ack();
  CHECK_FALSE(ack.recovered);
  CHECK(seqs(ack.replay) == std::vector<std::uint64_t>{6});
  f.subscribe("ttl.y", 2); // a snapshot of 4: only what has not expired
  CHECK(seqs(f.expect_ack().replay) == std::vector<std::uint64_t>{6});
}
