// The channel's cluster roles, one transition at a time on the deterministic scheduler (see
// channel_cluster_fixture.hpp): a relay following its owner, an owner waiting for its
// replicas, a new owner adopting another node's state, promotion and a moved owner.
#include "channel_cluster_fixture.hpp"

using namespace sy;
using namespace sy::test_cluster;

TEST_CASE_METHOD(fixture,
                 "a relay delivers the owner sync and bursts in order and answers its head",
                 "[unit][channel]") {
  auto owner_node = node();
  auto a = args("orders", 1);
  a.owner = owner_node;
  auto relay = channel(a);
  run();
  // Spawned as a relay: it asks the owner node for everything (no position yet).
  REQUIRE(rec->follows.size() == 1);
  CHECK(rec->follows[0].channel == "orders");
  CHECK_FALSE(rec->follows[0].has_after);
  CHECK(rec->follows[0].relay == relay);
  CHECK_FALSE(rec->follows[0].replica);
  // A subscribe waits for the owner's history.
  subscribe(relay, 1);
  run();
  CHECK(rec->acks.empty());
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 1, 2));
  run();
  REQUIRE(rec->acks.size() == 1);
  CHECK(rec->acks[0].cursor == format_cursor({7, 2}));
  CHECK(rec->stored == std::vector<std::string>{"orders"}); // holds events now
  // Bursts: fanned out in order, each answered with the relay's head.
  burst(relay, {make_event(7, 3), make_event(7, 4)});
  run();
  burst(relay, {make_event(7, 5)});
  run();
  CHECK(rec->heads == std::vector<std::uint64_t>{4, 5});
  CHECK(rec->delivered == std::vector<std::uint64_t>{3, 4, 5});
  // A gap (a lost burst): the relay keeps its head and asks again from its position.
  burst(relay, {make_event(7, 7)});
  run();
  CHECK(rec->heads.back() == 5);
  CHECK(rec->delivered.size() == 3);
  REQUIRE(rec->follows.size() == 2);
  CHECK(rec->follows[1].has_after);
  CHECK(rec->follows[1].after.epoch == 7);
  CHECK(rec->follows[1].after.seq == 5);
  // History reads are served from the relay's copy.
  read_history(relay);
  run();
  REQUIRE(rec->pages.size() == 1);
  CHECK(seqs(rec->pages[0].events) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE_METHOD(fixture, "an owner completes a publish only after its replica acknowledged it",
                 "[unit][channel]") {
  auto owner = channel(args("orders", 3));
  auto replica = relay_stand_in();
  caf::anon_send(owner, follow_atom::value, follow_request{"orders", {}, false, replica, true});
  run();
  REQUIRE(rec->syncs.size() == 1); // the owner's (empty) history first
  CHECK(rec->syncs[0].epoch == 3);
  CHECK(rec->syncs[0].head == 0);
  subscribe(owner, 1);
  run();
  REQUIRE(rec->acks.size() == 1);
  publish(owner, "1");
  publish(owner, "2");
  run();
  // The burst went to the replica; nothing is acknowledged or delivered before its ack.
  REQUIRE(rec->bursts.size() == 1);
  CHECK(seqs(rec->bursts[0]) == std::vector<std::uint64_t>{1, 2});
  CHECK(rec->completed.empty());
  CHECK(rec->delivered.empty());
  caf::anon_send(replica, retry_atom::value, std::uint64_t{0}); // the replica acks
  run();
  REQUIRE(rec->completed.size() == 2);
  CHECK(rec->completed[0].ev->ev.seq == 1);
  CHECK(rec->completed[1].ev->ev.seq == 2);
  CHECK(rec->delivered == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE_METHOD(fixture, "a new owner adopts the most advanced state it fetches",
                 "[unit][channel]") {
  auto behind = node(make_sync("orders", 9, 1, 3));
  auto ahead = node(make_sync("orders", 9, 1, 5));
  auto self_node = node();
  auto a = args("orders", 1);
  a.adopt_from = {behind, ahead};
  a.self_cluster = self_node;
  auto owner = channel(a);
  publish(owner, "next"); // waits until the adoption is done
  run();
  // Both holders were asked and told who owns the channel now.
  REQUIRE(rec->fetches.size() == 2);
  for (const auto& f : rec->fetches) {
    CHECK(f.channel == "orders");
    CHECK(f.new_owner == self_node);
  }
  // It continues the most advanced holder's epoch and numbering.
  REQUIRE(rec->completed.size() == 1);
  CHECK(rec->completed[0].ev->ev.epoch == 9);
  CHECK(rec->completed[0].ev->ev.seq == 6);
  read_history(owner);
  run();
  REQUIRE(rec->pages.size() == 1);
  CHECK(seqs(rec->pages[0].events) == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE_METHOD(fixture, "a relay forwards publishes until the view promotes it",
                 "[unit][channel]") {
  auto owner_node = node();
  auto a = args("orders", 1);
  a.owner = owner_node;
  auto relay = channel(a);
  run();
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 3, 4));
  run();
  // A relay does not sequence: the owner node answers (seq 42 from the stand-in).
  publish(relay, "forwarded");
  run();
  REQUIRE(rec->forwarded.size() == 1);
  CHECK(rec->forwarded[0].data_json == "forwarded");
  REQUIRE(rec->completed.size() == 1);
  CHECK(rec->completed[0].ev->ev.seq == 42);
  // Promoted: it sequences here, continuing the owner's epoch after its head.
  caf::anon_send(relay, promote_atom::value);
  publish(relay, "here");
  run();
  CHECK(rec->forwarded.size() == 1);
  REQUIRE(rec->completed.size() == 2);
  CHECK(rec->completed[1].ev->ev.epoch == 7);
  CHECK(rec->completed[1].ev->ev.seq == 5);
}

TEST_CASE_METHOD(fixture, "a relay follows a moved owner from its own position",
                 "[unit][channel]") {
  auto first = node();
  auto second = node();
  auto a = args("orders", 1);
  a.owner = first;
  auto relay = channel(a);
  run();
  caf::anon_send(relay, sync_atom::value, make_sync("orders", 7, 1, 3));
  run();
  caf::anon_send(relay, owner_atom::value, second);
  run();
  REQUIRE(rec->follows.size() == 2);
  CHECK(rec->follows[1].relay == relay);
  CHECK(rec->follows[1].has_after);
  CHECK(rec->follows[1].after.epoch == 7);
  CHECK(rec->follows[1].after.seq == 3);
  // The same owner again changes nothing.
  caf::anon_send(relay, owner_atom::value, second);
  run();
  CHECK(rec->follows.size() == 2);
  // A replica position is announced to the owner with a new follow.
  caf::anon_send(relay, replica_atom::value);
  run();
  REQUIRE(rec->follows.size() == 3);
  CHECK(rec->follows[2].replica);
}
