// The channel's cluster roles (CLUSTER.md): the owner feeding relays and waiting for replica
// acks, the relay following the owner, adoption of another node's state, promotion.
#include "actors/channel_state.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include <spdlog/spdlog.h>

namespace sy::channel_impl {

namespace {

// Acknowledges and delivers bursts in order once every replica has them: no publisher sees a
// 2xx and no subscriber sees an event that a replica could not hand on after this node dies.
void release_inflight(channel_ptr self) {
  auto& st = self->state;
  while (!st.inflight.empty() && st.inflight.front().waiting == 0) {
    auto b = std::move(st.inflight.front());
    st.inflight.pop_front();
    for (auto& [done, result] : b.done)
      done->complete(result);
    fan_out_local(self, b.all);
    feed_relays(self, b.all);
  }
}

} // namespace

bool ready(channel_ptr self) {
  return self->state.synced && !self->state.adopting && !self->state.loading;
}

// Stops at the first work that finds the channel not ready (one before it began following or
// adopting): the rest waits again, ahead of anything stashed meanwhile.
void run_stash(channel_ptr self) {
  auto& st = self->state;
  auto work = std::move(st.stash);
  st.stash.clear();
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (!ready(self)) {
      std::vector<std::function<void()>> rest(std::make_move_iterator(work.begin() + i),
                                              std::make_move_iterator(work.end()));
      rest.insert(rest.end(), std::make_move_iterator(st.stash.begin()),
                  std::make_move_iterator(st.stash.end()));
      st.stash = std::move(rest);
      return;
    }
    work[i]();
  }
  if (st.args.store) // stashed publishes were queued: they go as one append
    start_append(self);
}

// Runs once the channel's stored state is loaded (at once without a store): a relay follows
// its owner from its stored position, an owner adopts a more advanced state if another node
// holds one.
void begin_role(channel_ptr self) {
  auto& st = self->state;
  if (st.owner) {
    st.synced = false;
    send_follow(self);
  } else {
    adopt(self);
  }
}

// -- owner: replicas and relays on other nodes -------------------------------------------------

// Relays that are not replicas get each burst once it is released (nobody waits for them).
void feed_relays(channel_ptr self, const event_batch& all) {
  auto& st = self->state;
  if (std::none_of(st.relays.begin(), st.relays.end(), [](const auto& r) { return !r.replica; }))
    return;
  auto plain = plain_events(all);
  for (const auto& r : st.relays)
    if (!r.replica)
      self->request(r.who, st.timeout, replicate_atom::value, plain)
        .then([](std::uint64_t) {}, [](const caf::error&) {});
}

std::size_t replicas_waited_for(const channel_state& st) {
  return static_cast<std::size_t>(
    std::count_if(st.relays.begin(), st.relays.end(), [](const auto& r) { return r.replica; }));
}

// Sends a burst to the replicas and keeps its publishes' completions and its fan-out until
// every replica has acknowledged it (or failed to answer in time).
void hold_for_replicas(channel_ptr self, event_batch all) {
  auto& st = self->state;
  auto id = st.next_inflight++;
  auto plain = plain_events(all);
  st.inflight.push_back({std::move(all), std::move(st.pending_done), replicas_waited_for(st), id});
  st.pending_done.clear();
  for (const auto& r : st.relays) {
    if (!r.replica)
      continue;
    auto ack = [self, id] {
      for (auto& b : self->state.inflight)
        if (b.id == id && b.waiting > 0) {
          b.waiting--;
          break;
        }
      release_inflight(self);
    };
    self->request(r.who, st.timeout, replicate_atom::value, plain)
      .then([ack](std::uint64_t) { ack(); },
            [self, ack](const caf::error& err) {
              // A replica that does not answer (it died; the view will drop it) must not
              // block the channel: the burst goes on with one copy fewer.
              spdlog::warn("channel {}: a replica did not acknowledge: {}", self->state.args.name,
                           self->system().render(err));
              ack();
            });
  }
  release_inflight(self);
}

follow_sync make_sync(channel_ptr self, const cursor& after, bool has_after,
                      bool with_receipts) {
  auto& st = self->state;
  follow_sync s;
  s.channel = st.args.name;
  s.epoch = st.args.epoch;
  s.head = last_seq(st);
  std::uint64_t from = 0;
  if (has_after && after.epoch == st.args.epoch && after.seq <= s.head
      && (st.history->size() == 0 || after.seq + 1 >= st.history->first_seq()))
    from = after.seq;
  else
    s.recovered = !has_after;
  for (const auto& e : st.history->read_after(from, st.history->size()))
    s.events.push_back(e->ev);
  // A sync from scratch to a replica or a new owner also carries the keys whose events left
  // the history, so they outlive this node. An incremental one needs none: the relay already
  // had those events.
  if (with_receipts && from == 0) {
    auto before = s.events.empty() ? UINT64_MAX : s.events.front().seq;
    auto now = wall_clock_ms();
    st.idempotency->for_each(
      [&](const std::string& key, const idempotency_receipt& r, std::int64_t expires_ms) {
        if (r.seq < before && expires_ms > now)
          s.receipts.push_back(
            {key, r.seq, r.timestamp_ms, r.type, r.correlation_id, expires_ms});
      });
  }
  return s;
}

void add_relay(channel_ptr self, const follow_request& req) {
  auto& st = self->state;
  self->send(req.relay, sync_atom::value,
             make_sync(self, req.after, req.has_after, req.replica));
  auto it = std::find_if(st.relays.begin(), st.relays.end(),
                         [&](const auto& r) { return r.who == req.relay; });
  if (it == st.relays.end()) {
    self->monitor(req.relay);
    st.relays.push_back({req.relay, req.replica});
  } else {
    it->replica = req.replica;
  }
}

// -- relay: following the owner node -------------------------------------------------------------

// Asks the owner node for its history after ours and its live bursts. Retried until the
// owner's sync arrives: the request may reach a node that is not the owner yet while the
// members' views converge.
void send_follow(channel_ptr self) {
  auto& st = self->state;
  st.awaiting_sync = true;
  follow_request req;
  req.channel = st.args.name;
  req.after = cursor{st.args.epoch, last_seq(st)};
  req.has_after = !st.store_behind && (st.history->size() > 0 || st.next_seq > 1);
  req.relay = self;
  req.replica = st.args.replica;
  self->send(st.owner, follow_atom::value, std::move(req));
  self->delayed_send(self, st.timeout, retry_atom::value, ++st.follow_generation);
}

// Appends an event sequenced by the owner (relay) or adopted from another node.
event_ptr take_event(channel_ptr self, const event& e, bool fan_out) {
  auto& st = self->state;
  auto ev = std::make_shared<const encoded_event>(encode_event(e));
  st.history->append(ev);
  st.next_seq = e.seq + 1;
  if (!ev->ev.idempotency_key.empty())
    st.idempotency->remember(ev->ev.idempotency_key, ev->ev, ev->ev.timestamp_ms);
  note_stored(self);
  if (fan_out) {
    st.pending.push_back(ev);
    schedule_flush(self);
  }
  return ev;
}

void reset_history(channel_ptr self, std::uint64_t epoch) {
  auto& st = self->state;
  st.history = make_memory_history(st.ns.history_size, st.args.hot_node);
  st.idempotency = make_window(st.args);
  st.args.epoch = epoch;
  st.next_seq = 1;
}

void on_sync(channel_ptr self, const follow_sync& sync) {
  auto& st = self->state;
  if (!st.owner || st.loading)
    return; // promoted meanwhile (or a stale answer: the follow is sent once loaded)
  bool same_epoch = sync.epoch == st.args.epoch;
  bool reset = !same_epoch || !sync.recovered || st.store_behind;
  st.store_behind = false; // this sync's write sets it again if it fails too
  auto delivered = same_epoch ? last_seq(st) : 0; // local sessions had these already
  std::vector<store_receipt> receipts;
  if (reset) {
    reset_history(self, sync.epoch);
    receipts = sync.receipts;
    take_receipts(self, receipts);
  }
  auto before = st.next_seq;
  std::vector<event_ptr> taken;
  for (const auto& e : sync.events)
    if (e.seq > last_seq(st))
      taken.push_back(take_event(self, e, st.synced && e.seq > delivered));
  st.next_seq = std::max(st.next_seq, sync.head + 1);
  if (st.args.store && (reset || st.next_seq != before)) // bursts after it are written after it
    store_sequenced(self, std::move(taken), std::move(receipts), reset,
                    [](const caf::error&) {});
  note_stored(self);
  st.awaiting_sync = false;
  if (!st.synced) {
    st.synced = true;
    run_stash(self);
  }
  check_unused_soon(self);
}

// With a store the replica answers its head once the burst is written (and every write before
// it: the store answers in order), so the owner's ack means the event is on this disk too. A
// write error answers the error: the owner counts this replica as not holding the burst.
caf::result<std::uint64_t> on_replicated(channel_ptr self, const std::vector<event>& events) {
  auto& st = self->state;
  if (!st.owner || !st.synced || st.loading)
    return last_seq(st);
  std::vector<event_ptr> taken;
  for (const auto& e : events) {
    if (e.epoch != st.args.epoch || e.seq <= last_seq(st))
      continue; // older incarnation, or already held
    if (e.seq != last_seq(st) + 1) { // a gap (a lost message): ask again from our position
      send_follow(self);
      break;
    }
    taken.push_back(take_event(self, e, true));
  }
  if (!st.args.store || (taken.empty() && st.sequenced_writes == 0))
    return last_seq(st);
  auto rp = self->make_response_promise<std::uint64_t>();
  auto head = last_seq(st);
  store_sequenced(self, std::move(taken), {}, false, [rp, head](const caf::error& err) mutable {
    if (err)
      rp.deliver(err);
    else
      rp.deliver(head);
  });
  return rp;
}

// Hands this node's state to a new owner, then follows it. A channel still loading its stored
// state answers once it has it (ahead of the rest of its stash, which may wait for a sync).
caf::result<follow_sync> on_fetch(channel_ptr self, const fetch_request& req) {
  auto answer = [self, req] {
    auto sync = make_sync(self, {}, false, true);
    if (req.new_owner && req.new_owner != self->state.owner)
      follow(self, req.new_owner);
    return sync;
  };
  auto& st = self->state;
  if (!st.loading)
    return answer();
  auto rp = self->make_response_promise<follow_sync>();
  st.stash.insert(st.stash.begin(), [rp, answer]() mutable { rp.deliver(answer()); });
  return rp;
}

// -- changes of ownership ------------------------------------------------------------------------

// Becomes a relay of `owner` (another node took the channel over, or the view moved it).
void follow(channel_ptr self, cluster_actor owner) {
  auto& st = self->state;
  st.owner = std::move(owner);
  st.adopting = false;
  // Our relays will find the new owner through their own view; unacked bursts complete now
  // (they are in our history, which the new owner fetched or will fetch).
  for (auto& b : st.inflight)
    b.waiting = 0;
  release_inflight(self);
  for (auto& [done, result] : st.pending_done)
    done->complete(result);
  st.pending_done.clear();
  st.relays.clear();
  st.remote_patterns.clear(); // the new owner's directory attaches them there
  if (st.loading)
    return; // begin_role follows it once the stored state is loaded
  send_follow(self);
}

// The owner node is gone (or the view says this node owns the channel now): sequence from here,
// continuing the owner's epoch and numbering, with the history and idempotency keys we hold.
void promote(channel_ptr self) {
  auto& st = self->state;
  st.owner = nullptr;
  st.synced = true;
  spdlog::info("channel {}: now owned by this node (epoch {}, next seq {})", st.args.name,
               st.args.epoch, st.next_seq);
  run_stash(self);
}

// A channel new on this node while other nodes are up: it may have lived elsewhere (the
// previous owner, its replicas). Take the most advanced state any of them holds before
// sequencing; they hand the ownership over and follow this node.
void adopt(channel_ptr self) {
  auto& st = self->state;
  if (st.args.adopt_from.empty())
    return;
  st.adopting = true;
  auto remaining = std::make_shared<std::size_t>(st.args.adopt_from.size());
  auto best = std::make_shared<follow_sync>();
  auto done = [self, remaining, best] {
    if (--*remaining > 0)
      return;
    auto& st = self->state;
    // With a store this node may hold the most advanced state itself (loaded before): it
    // keeps it. An adopted state replaces what its store holds of the channel, written
    // before any publish sequenced after it.
    if (best->head > last_seq(st)) {
      reset_history(self, best->epoch);
      take_receipts(self, best->receipts);
      std::vector<event_ptr> taken;
      for (const auto& e : best->events)
        taken.push_back(take_event(self, e, false));
      st.next_seq = best->head + 1;
      if (st.args.store)
        store_sequenced(self, std::move(taken), std::move(best->receipts), true,
                        [](const caf::error&) {});
      spdlog::info("channel {}: adopted epoch {} at seq {} from another node", st.args.name,
                   best->epoch, best->head);
    }
    st.adopting = false;
    if (!st.owner)
      run_stash(self);
    check_unused_soon(self);
  };
  for (const auto& node : st.args.adopt_from) {
    self->request(node, st.timeout, fetch_atom::value,
                  fetch_request{st.args.name, st.args.self_cluster})
      .then(
        [best, done](follow_sync& s) {
          if (s.head > best->head)
            *best = std::move(s);
          done();
        },
        [done](const caf::error&) { done(); });
  }
}

} // namespace sy::channel_impl
