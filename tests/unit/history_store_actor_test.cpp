// The history store actor (actors/history_store_actor.hpp): group commit, answers after the
// write, typed errors, reads that see earlier writes. Each case has its own directory.
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "actors/history_store_actor.hpp"
#include "store_fixture.hpp"

using namespace sy;
using namespace sy::test_store;
using namespace std::chrono_literals;

namespace {

struct store_fixture {
  temp_dir tmp;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  store_actor store;

  void start(store_options o = {}, history_store_hooks hooks = {}) {
    o.cache_bytes = 8u << 20;
    auto db = open_store(tmp.sub("db"), o);
    INFO(db.error().message);
    REQUIRE(db);
    store = spawn_history_store(sys, std::shared_ptr<rocksdb_store>(std::move(*db)),
                                std::move(hooks));
  }
  void stop() {
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    self->wait_for(store);
    store = nullptr;
  }
  ~store_fixture() {
    if (store)
      stop();
  }

  static store_append append_of(const std::string& ch, std::uint64_t seq,
                                std::vector<store_receipt> receipts = {}) {
    return store_append{ch, 7, seq + 1, {shared(full_event(ch, seq))}, std::move(receipts)};
  }

  /// Requests and waits; an error fails the test.
  template <class Reply, class... Ts>
  Reply ask(Ts&&... xs) {
    Reply out;
    self->request(store, 5s, std::forward<Ts>(xs)...)
      .receive([&](const Reply& r) { out = r; },
               [&](const caf::error& e) { FAIL("store request failed: " << to_string(e)); });
    return out;
  }

  /// The error a request is answered with (none when it succeeds).
  template <class... Ts>
  caf::error ask_error(Ts&&... xs) {
    caf::error out;
    self->request(store, 5s, std::forward<Ts>(xs)...)
      .receive([](const store_written&) {}, [&](const caf::error& e) { out = e; });
    return out;
  }

  store_page read_all(const std::string& ch) {
    return ask<store_page>(st_read_atom::value, store_read{ch, 0, 1000, 1u << 30});
  }
};

std::vector<std::uint64_t> seqs(const store_page& p) {
  std::vector<std::uint64_t> out;
  for (const auto& e : p.events)
    out.push_back(e.seq);
  return out;
}

} // namespace

TEST_CASE("store appends queued while a batch is written go into the next batch together",
          "[unit][store]") {
  store_fixture f;
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  bool first = true; // only touched on the store's thread
  history_store_hooks hooks;
  hooks.before_batch = [&, released] {
    if (!first)
      return;
    first = false;
    entered.set_value();
    released.wait();
  };
  f.start({}, hooks);
  constexpr std::uint64_t n = 50;
  f.self->send(f.store, st_append_atom::value, store_fixture::append_of("g0", 1));
  REQUIRE(entered.get_future().wait_for(5s) == std::future_status::ready);
  // the store is inside batch 1: everything sent now waits in its mailbox
  for (std::uint64_t i = 1; i <= n; ++i)
    f.self->send(f.store, st_append_atom::value,
                 store_fixture::append_of("g" + std::to_string(i), 1));
  release.set_value();
  std::vector<store_written> replies; // answers come back in the order the appends were sent
  for (std::uint64_t i = 0; i <= n; ++i)
    f.self->receive([&](const store_written& w) { replies.push_back(w); },
                    [&](const caf::error& e) { FAIL("append failed: " << to_string(e)); },
                    caf::after(5s) >> [] { FAIL("no answer from the store"); });
  REQUIRE(replies.size() == n + 1);
  CHECK(replies[0].batch == 1);
  CHECK(replies[0].batch_writes == 1);
  for (std::size_t i = 1; i < replies.size(); ++i) {
    INFO("reply " << i);
    CHECK(replies[i].batch == 2);
    CHECK(replies[i].batch_writes == n);
  }
  auto stats = f.ask<store_stats>(st_stats_atom::value);
  CHECK(stats.batches == 2);
  CHECK(stats.writes == n + 1);
  CHECK(stats.max_batch_writes == n);
  CHECK(stats.failed_batches == 0);
  f.stop(); // before the hook's promises and flag go out of scope
}

TEST_CASE("the store actor answers only after the write and keeps it across a restart",
          "[unit][store]") {
  store_fixture f;
  f.start();
  auto far = wall_clock_ms() + 600000;
  auto w = f.ask<store_written>(st_append_atom::value,
                                store_fixture::append_of("orders", 1, {{"k1", 1, 5, "t", "c",
                                                                        far}}));
  CHECK(w.batch == 1);
  // sent without waiting: the read that follows still sees them (it writes the batch first)
  f.self->send(f.store, st_append_atom::value, store_fixture::append_of("orders", 2));
  f.self->send(f.store, st_append_atom::value, store_fixture::append_of("orders", 3));
  auto page = f.read_all("orders");
  CHECK(seqs(page) == std::vector<std::uint64_t>{1, 2, 3});
  check_same(page.events[2], full_event("orders", 3));
  for (int i = 0; i < 2; ++i)
    f.self->receive([](const store_written&) {}, caf::after(5s) >> [] { FAIL("no answer"); });
  f.stop(); // closes the database: the actor held the only reference

  f.start();
  auto st = f.ask<store_channel_state>(st_load_atom::value, store_load{"orders", wall_clock_ms()});
  CHECK(st.found);
  CHECK(st.meta.next_seq == 4);
  CHECK(st.first_seq == 1);
  REQUIRE(st.receipts.size() == 1);
  CHECK(st.receipts[0].key == "k1");
  CHECK(seqs(f.read_all("orders")) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("the store actor trims drops and checkpoints in the order sent", "[unit][store]") {
  store_fixture f;
  f.start();
  for (std::uint64_t seq = 1; seq <= 6; ++seq)
    f.self->send(f.store, st_append_atom::value, store_fixture::append_of("t", seq));
  f.self->send(f.store, st_trim_atom::value, store_trim{"t", 2});
  f.self->send(f.store, st_append_atom::value, store_fixture::append_of("gone", 1));
  f.self->send(f.store, st_drop_atom::value, store_drop{"gone"});
  auto copy = f.tmp.sub("copy");
  auto done = f.ask<store_checkpointed>(st_ckpt_atom::value, store_checkpoint{copy});
  CHECK(done.dir == copy);
  for (int i = 0; i < 9; ++i)
    f.self->receive([](const store_written&) {}, caf::after(5s) >> [] { FAIL("no answer"); });
  CHECK(seqs(f.read_all("t")) == std::vector<std::uint64_t>{3, 4, 5, 6});
  CHECK(f.read_all("gone").events.empty());
  // the copy opens with the same data
  auto db = open_store(copy, {});
  REQUIRE(db);
  auto page = (*db)->read("t", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{3, 4, 5, 6});
  auto err = caf::error{};
  f.self->request(f.store, 5s, st_ckpt_atom::value, store_checkpoint{copy})
    .receive([](const store_checkpointed&) {}, [&](const caf::error& e) { err = e; });
  CHECK(store_error_code(err) == store_errc::invalid_argument);
  CHECK_THAT(store_error_text(err), Catch::Contains(copy));
}

TEST_CASE("the store actor answers a failed batch with insufficient_storage", "[unit][store]") {
  store_fixture f;
  auto fs = std::make_shared<full_disk_fs>();
  store_options o;
  o.env = env_on(fs);
  f.start(o);
  CHECK_FALSE(f.ask_error(st_append_atom::value, store_fixture::append_of("c", 1)));
  *fs->full = true;
  auto err = f.ask_error(st_append_atom::value, store_fixture::append_of("c", 2));
  CHECK(store_error_code(err) == store_errc::insufficient_storage);
  CHECK_THAT(store_error_text(err), Catch::Contains(f.tmp.sub("db")));
  CHECK(seqs(f.read_all("c")) == std::vector<std::uint64_t>{1}); // nothing of it stored
  auto stats = f.ask<store_stats>(st_stats_atom::value);
  CHECK(stats.failed_batches == 1);
  // Room again: the next batch resumes the database first and is stored.
  *fs->full = false;
  err = f.ask_error(st_append_atom::value, store_fixture::append_of("c", 2));
  INFO(store_error_text(err));
  CHECK_FALSE(err);
  CHECK(seqs(f.read_all("c")) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("store appends from eight concurrent senders are all stored in order",
          "[unit][store]") {
  store_fixture f;
  f.start();
  constexpr int senders = 8;
  constexpr std::uint64_t per_sender = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int s = 0; s < senders; ++s)
    threads.emplace_back([&, s] {
      caf::scoped_actor me{f.sys};
      auto ch = "s" + std::to_string(s);
      for (std::uint64_t seq = 1; seq <= per_sender; ++seq)
        me->request(f.store, 10s, st_append_atom::value, store_fixture::append_of(ch, seq))
          .receive([](const store_written&) {}, [&](const caf::error&) { ++failures; });
    });
  for (auto& t : threads)
    t.join();
  CHECK(failures == 0);
  for (int s = 0; s < senders; ++s) {
    auto page = f.read_all("s" + std::to_string(s));
    REQUIRE(page.events.size() == per_sender);
    for (std::uint64_t i = 0; i < per_sender; ++i)
      CHECK(page.events[i].seq == i + 1);
  }
  auto stats = f.ask<store_stats>(st_stats_atom::value);
  CHECK(stats.writes == senders * per_sender);
  CHECK(stats.batches <= stats.writes);
  CHECK(stats.max_batch_writes <= senders); // one append in flight per sender
}
