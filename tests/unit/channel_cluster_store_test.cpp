// A relay (replica) with a durable store, on the deterministic scheduler: it loads its stored
// state before following, follows from its stored position, answers a burst only once its
// store wrote it, and after a failed write answers the error and resyncs from scratch.
#include "channel_cluster_fixture.hpp"

#include "schema/store_messages.hpp"

using namespace sy;
using namespace sy::test_cluster;

namespace {

// What the stand-in store saw; appends are answered only on (st_flush): all of them at once,
// or all failed when `fail` is set.
struct store_record {
  std::vector<store_append> appends;
  std::vector<std::string> drops;
  std::vector<caf::typed_response_promise<store_written>> held;
  bool fail = false;
};
using store_record_ptr = std::shared_ptr<store_record>;

// A store whose channel "orders" holds epoch 7, seqs 1..stored_head (none when 0).
store_actor::behavior_type fake_store(store_actor::pointer self, store_record_ptr r,
                                      std::uint64_t stored_head) {
  return {
    [self, r](st_append_atom, const store_append& a) -> caf::result<store_written> {
      r->appends.push_back(a);
      auto rp = self->make_response_promise<store_written>();
      r->held.push_back(rp);
      return rp;
    },
    [](st_trim_atom, const store_trim&) { return store_written{}; },
    [r](st_drop_atom, const store_drop& d) {
      r->drops.push_back(d.channel);
      return store_written{};
    },
    [stored_head](st_read_atom, const store_read& q) {
      store_page page;
      for (auto seq = q.after_seq + 1; seq <= stored_head; ++seq)
        page.events.push_back(make_event(7, seq));
      return page;
    },
    [stored_head](st_load_atom, const store_load&) {
      store_channel_state s;
      s.found = stored_head > 0;
      if (s.found) {
        s.meta = {7, stored_head + 1};
        s.first_seq = 1;
      }
      return s;
    },
    [](st_ckpt_atom, const store_checkpoint& c) { return store_checkpointed{c.dir}; },
    [](st_stats_atom) { return store_stats{}; },
    [](st_room_atom, const store_room_write&) { return store_written{}; },
    [](st_roomld_atom, const store_room_load&) { return store_room{}; },
    [r](st_flush_atom) {
      for (auto& rp : r->held) {
        if (r->fail)
          rp.deliver(make_store_error({store_errc::insufficient_storage, "disk full"}));
        else
          rp.deliver(store_written{1, 1});
      }
      r->held.clear();
    },
  };
}

struct store_fixture : fixture {
  store_record_ptr srec = std::make_shared<store_record>();
  std::vector<caf::error> burst_errors;

  store_actor store(std::uint64_t stored_head = 0) {
    return keep(sys->spawn(fake_store, srec, stored_head));
  }

  // The owner's burst as a request; the answer lands in rec->heads or burst_errors.
  void burst_or_error(const channel_actor& relay, std::vector<event> events) {
    auto r = rec;
    auto* errors = &burst_errors;
    keep(sys->spawn([r, errors, relay, events](caf::event_based_actor* self) -> caf::behavior {
      self->request(relay, 1s, replicate_atom::value, events)
        .then(
          [r, self](std::uint64_t h) {
            r->heads.push_back(h);
            self->quit();
          },
          [errors, self](const caf::error& err) {
            errors->push_back(err);
            self->quit();
          });
      return {[](tick_atom) {}};
    }));
  }
};

} // namespace

TEST_CASE_METHOD(store_fixture, "a replica with a store answers a burst only once it is written",
                 "[unit][channel][store]") {
  auto owner_node = node();
  auto st = store();
  auto a = args("orders", 1);
  a.owner = owner_node;
  a.replica = true;
  a.store = st;
  auto relay = channel(a);
  run();
  REQUIRE(rec->follows.size() == 1); // loaded (nothing stored), then follows
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 1, 2));
  run();
  // A new epoch for this node: the store's copy is replaced by the owner's history.
  CHECK(srec->drops == std::vector<std::string>{"orders"});
  REQUIRE(srec->appends.size() == 1);
  CHECK(seqs(srec->appends[0].events) == std::vector<std::uint64_t>{1, 2});
  CHECK(srec->appends[0].epoch == 7);
  CHECK(srec->appends[0].next_seq == 3);
  auto e3 = make_event(7, 3);
  e3.idempotency_key = "k3";
  burst_or_error(relay, {e3, make_event(7, 4)});
  run();
  CHECK(rec->heads.empty()); // not written yet: no ack
  REQUIRE(srec->appends.size() == 2);
  CHECK(seqs(srec->appends[1].events) == std::vector<std::uint64_t>{3, 4});
  CHECK(srec->appends[1].next_seq == 5);
  REQUIRE(srec->appends[1].receipts.size() == 1); // the key survives with its event
  CHECK(srec->appends[1].receipts[0].key == "k3");
  CHECK(srec->appends[1].receipts[0].seq == 3);
  caf::anon_send(st, st_flush_atom::value);
  run();
  CHECK(rec->heads == std::vector<std::uint64_t>{4});
}

TEST_CASE_METHOD(store_fixture, "a relay with a store follows the owner from its stored position",
                 "[unit][channel][store]") {
  auto owner_node = node();
  auto a = args("orders", 1);
  a.owner = owner_node;
  a.store = store(5);
  auto relay = channel(a);
  run();
  REQUIRE(rec->follows.size() == 1);
  CHECK(rec->follows[0].has_after);
  CHECK(rec->follows[0].after.epoch == 7);
  CHECK(rec->follows[0].after.seq == 5);
  // The owner sends only what it missed; nothing is dropped, 6 and 7 are appended.
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 6, 7));
  run();
  CHECK(srec->drops.empty());
  REQUIRE(srec->appends.size() == 1);
  CHECK(seqs(srec->appends[0].events) == std::vector<std::uint64_t>{6, 7});
  read_history(relay);
  run();
  REQUIRE(rec->pages.size() == 1);
  CHECK(seqs(rec->pages[0].events) == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE_METHOD(store_fixture, "a replica whose store fails a write answers the error and resyncs",
                 "[unit][channel][store]") {
  auto owner_node = node();
  auto st = store(2);
  auto a = args("orders", 1);
  a.owner = owner_node;
  a.replica = true;
  a.store = st;
  auto relay = channel(a);
  subscribe(relay, 1);
  run();
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 3, 2)); // up to date
  run();
  REQUIRE(rec->acks.size() == 1);
  srec->fail = true;
  burst_or_error(relay, {make_event(7, 3)});
  run();
  caf::anon_send(st, st_flush_atom::value);
  run();
  CHECK(rec->heads.empty());
  REQUIRE(burst_errors.size() == 1);
  CHECK(store_error_code(burst_errors[0]) == store_errc::insufficient_storage);
  CHECK(rec->delivered == std::vector<std::uint64_t>{3}); // live here (the owner stored it)
  // After the request timeout it asks for the owner's whole history ...
  REQUIRE(rec->follows.size() == 1);
  sched->trigger_timeouts();
  run();
  REQUIRE(rec->follows.size() == 2);
  CHECK_FALSE(rec->follows[1].has_after);
  // ... which replaces its store's copy; its sessions get nothing twice.
  srec->fail = false;
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 1, 4));
  run();
  CHECK(srec->drops == std::vector<std::string>{"orders"});
  REQUIRE(srec->appends.size() == 2);
  CHECK(seqs(srec->appends[1].events) == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(rec->delivered == std::vector<std::uint64_t>{3, 4});
}

namespace {

publish_items keyed(const record_ptr& rec, const std::string& key) {
  publish_cmd cmd;
  cmd.channel = "orders";
  cmd.data_json = "1";
  cmd.idempotency_key = key;
  publish_items items;
  items.push_back({std::move(cmd), std::make_shared<recorded<publish_result>>(rec)});
  return items;
}

} // namespace

TEST_CASE_METHOD(store_fixture, "a replica's sync from scratch carries the keys that left history",
                 "[unit][channel][store]") {
  cfg->history_size = 2;
  auto owner = channel(args("orders", 5));
  run();
  for (const auto* key : {"k1", "k2", "k3", "k4"})
    caf::anon_send(owner, publish_atom::value, keyed(rec, key));
  run();
  REQUIRE(rec->completed.size() == 4);
  follow_request req;
  req.channel = "orders";
  req.relay = relay_stand_in();
  req.replica = true;
  caf::anon_send(owner, follow_atom::value, req);
  run();
  REQUIRE(rec->syncs.size() == 1);
  CHECK(seqs(rec->syncs[0].events) == std::vector<std::uint64_t>{3, 4});
  REQUIRE(rec->syncs[0].receipts.size() == 2); // k3 and k4 travel with their events
  CHECK(rec->syncs[0].receipts[0].key == "k1");
  CHECK(rec->syncs[0].receipts[1].key == "k2");
  CHECK(rec->syncs[0].receipts[1].seq == 2);
  // The replica stores them and, promoted, answers a retry of k1 with the original seq.
  auto st = store();
  auto a = args("orders", 1);
  a.owner = node();
  a.replica = true;
  a.store = st;
  auto relay = channel(a);
  run();
  caf::anon_send(relay, sync_atom::value, rec->syncs[0]);
  run();
  REQUIRE(srec->appends.size() == 1);
  CHECK(srec->appends[0].receipts.size() == 4);
  caf::anon_send(st, st_flush_atom::value);
  caf::anon_send(relay, promote_atom::value);
  caf::anon_send(relay, publish_atom::value, keyed(rec, "k1"));
  run();
  REQUIRE(rec->completed.size() == 5);
  CHECK(rec->completed[4].duplicate);
  CHECK(rec->completed[4].ev->ev.seq == 1);
}
