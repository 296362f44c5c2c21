// A channel keeps several appends with the store at once: publishes that arrive while its
// batch syncs are written in the store's next batch without waiting for the answer, and an
// append that fails takes the ones sent after it down too, so no stored history has a gap.
#include <future>
#include <thread>

#include "stored_channel_fixture.hpp"

#include "schema/errc_caf.hpp"

using namespace sy::test_channel;

namespace {

// Holds the store inside its first batch until released; the test sends more work meanwhile.
struct held_store {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true; // only touched on the store's thread
  // Set: the first batch fails (a full disk while it is written), the later ones do not.
  std::shared_ptr<std::atomic<bool>> full;
  bool fail_first = false;

  history_store_hooks hooks() {
    history_store_hooks h;
    h.before_batch = [this] {
      if (full)
        *full = first && fail_first;
      if (!first)
        return;
      first = false;
      entered.set_value();
      released.wait();
    };
    return h;
  }
};

void send_publish(stored_fixture& f, const std::string& ch, std::string data,
                  std::string key = {}) {
  publish_request req;
  publish_cmd cmd;
  cmd.channel = ch;
  cmd.data_json = std::move(data);
  cmd.idempotency_key = std::move(key);
  req.items.push_back({std::move(cmd), std::make_shared<to_sink<publish_result>>(f.self)});
  caf::anon_send(f.dir, publish_atom::value, std::move(req));
}

caf::expected<publish_result> next_answer(stored_fixture& f) {
  caf::expected<publish_result> out = caf::sec::request_timeout;
  f.self->receive([&](const publish_result& r) { out = r; },
                  [&](const caf::error& e) { out = e; }, caf::after(5s) >> [] {});
  return out;
}

// The channel has sent what it was sent to the store: its messages take far less than this.
void let_channel_run() {
  std::this_thread::sleep_for(300ms);
}

} // namespace

TEST_CASE("publishes arriving while the store syncs a channel's append join its next batch",
          "[unit][channel][store]") {
  stored_fixture f;
  held_store held;
  f.start_stored(held.hooks());
  send_publish(f, "ch", R"({"n":1})");
  REQUIRE(held.entered.get_future().wait_for(5s) == std::future_status::ready);
  // The store is inside batch 1 (publish 1): two more publishes, one message each.
  send_publish(f, "ch", R"({"n":2})");
  send_publish(f, "ch", R"({"n":3})", "k3");
  let_channel_run();
  held.release.set_value();
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    auto r = next_answer(f);
    REQUIRE(r);
    CHECK(r->ev->ev.seq == seq);
  }
  // Two appends of one channel in batch 2: the channel did not wait for batch 1's answer.
  store_stats stats;
  f.self->request(f.store, 5s, st_stats_atom::value)
    .receive([&](const store_stats& s) { stats = s; },
             [](const caf::error& e) { FAIL("no store stats: " << to_string(e)); });
  CHECK(stats.batches == 2);
  CHECK(stats.max_batch_writes == 2);
  // A retry of the key sent while its original was in flight is its duplicate.
  auto dup = f.publish("ch", R"({"n":3})", "k3");
  CHECK(dup.duplicate);
  CHECK(dup.ev->ev.seq == 3);
  f.stop_store();
}

TEST_CASE("an append sent after one the store failed is refused too and its seqs are reused",
          "[unit][channel][store]") {
  stored_fixture f;
  held_store held;
  held.full = f.fs->full;
  held.fail_first = true;
  f.start_stored(held.hooks());
  send_publish(f, "ch", R"({"n":1})", "k1");
  REQUIRE(held.entered.get_future().wait_for(5s) == std::future_status::ready);
  send_publish(f, "ch", R"({"n":2})", "k2");
  send_publish(f, "ch", R"({"n":3})", "k1"); // a retry of the key that is in flight
  let_channel_run();
  held.release.set_value(); // batch 1 fails; the disk has room for the next one
  for (int i = 1; i <= 3; ++i) {
    INFO("publish " << i);
    auto r = next_answer(f);
    REQUIRE_FALSE(r);
    CHECK(errc_of(r.error()) == errc::insufficient_storage);
  }
  // Nothing was stored: the next publish takes seq 1 and the keys are free.
  auto again = f.publish("ch", R"({"n":2})", "k2");
  CHECK_FALSE(again.duplicate);
  CHECK(again.ev->ev.seq == 1);
  auto next = f.publish("ch", R"({"n":4})");
  CHECK(next.ev->ev.seq == 2);
  history_query q;
  q.channel = "ch";
  q.limit = 10;
  auto page = f.try_history(q);
  REQUIRE(page);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{1, 2});
  f.restart_directory(); // and the store agrees
  page = f.try_history(q);
  REQUIRE(page);
  CHECK(seqs(page->events) == std::vector<std::uint64_t>{1, 2});
  f.stop_store();
}
