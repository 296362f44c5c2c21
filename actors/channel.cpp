// The channel's message handlers; the work is in channel_core.cpp (this node) and
// channel_cluster.cpp (relay, adopt, promote, replicas).
#include "actors/channel_state.hpp"

#include <algorithm>

namespace sy {

namespace {

using namespace channel_impl;

// With a store, a subscribe or read that arrived after publishes not yet written runs once
// they are answered: it sees them as history, as with the memory engine (channel_store.cpp).
void serve_subscribe(channel_ptr self, const sub_request& req) {
  if (!self->state.args.store)
    return subscribe(self, req);
  after_earlier_publishes(self, [self, req] { subscribe(self, req); });
}

// What a history read can still return: the ring's events (memory engine), or the events the
// store keeps (the last history.size, less what expired).
std::uint64_t retained_events(const channel_state& st) {
  if (!st.args.store)
    return st.history->size();
  auto head = last_seq(st);
  auto oldest = oldest_kept(st);
  return head >= oldest ? head - oldest + 1 : 0;
}

void serve_history(channel_ptr self, const history_request& req) {
  if (!self->state.args.store)
    return answer_history(self, req);
  after_earlier_publishes(self, [self, req] { answer_history(self, req); });
}

channel_actor::behavior_type channel_behavior(channel_ptr self, channel_args args) {
  auto& st = self->state;
  st.ns = args.cfg->namespace_for(args.name);
  st.history = make_memory_history(st.ns.history_size, args.hot_node);
  st.idempotency = make_window(args);
  st.timeout = std::chrono::milliseconds(args.cfg->cluster_request_timeout_ms);
  auto idle_ms = args.cfg->channel_idle_ms;
  st.args = std::move(args);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.subs.remove(dm.source)) {
      st.retirement.touch(); // like an unsubscribe
      return check_unused_soon(self);
    }
    auto relays_before = st.relays.size();
    st.relays.erase(std::remove_if(st.relays.begin(), st.relays.end(),
                                   [&](const auto& r) { return r.who.address() == dm.source; }),
                    st.relays.end());
    if (st.relays.size() != relays_before)
      return check_unused_soon(self);
    st.remote_patterns.erase(
      std::remove_if(st.remote_patterns.begin(), st.remote_patterns.end(),
                     [&](const pattern_actor& p) { return p.address() == dm.source; }),
      st.remote_patterns.end());
    st.patterns.erase(std::remove_if(st.patterns.begin(), st.patterns.end(),
                                     [&](const pattern_actor& p) {
                                       return p.address() == dm.source;
                                     }),
                      st.patterns.end());
  });
  st.owner = st.args.owner; // set: a relay of that node
  if (st.args.store) {
    // The stored state first (epoch, seqs, receipts, hot tail), then the cluster role from
    // there: a relay follows its owner from its stored position, an owner adopts a more
    // advanced state if another node holds one (nothing to do on a single node).
    start_loading(self);
    st.stash.push_back([self] { begin_role(self); });
  } else {
    begin_role(self);
  }
  self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
  auto touch = [self] {
    self->state.retirement.on_directory_message();
    check_unused_soon(self);
  };
  return {
    [self, touch](subscribe_atom, sub_request& req) {
      touch();
      if (!ready(self)) {
        self->state.stash.push_back([self, req]() mutable { serve_subscribe(self, req); });
        return;
      }
      serve_subscribe(self, req);
    },
    [self](unsubscribe_atom, const caf::actor_addr& who, std::uint32_t sub_id) {
      // A newer subscription of the same session may have replaced this one: keep that.
      if (!self->state.subs.remove(who, sub_id))
        return;
      self->demonitor(who);
      self->state.retirement.touch();
      check_unused_soon(self);
    },
    [self](attach_atom, pattern_actor& p) {
      self->monitor(p);
      self->state.patterns.push_back(std::move(p));
    },
    [self](peer_pattern_atom, const pattern_actor& p) {
      auto& rp = self->state.remote_patterns;
      if (std::find(rp.begin(), rp.end(), p) != rp.end())
        return;
      self->monitor(p);
      rp.push_back(p);
    },
    [self, touch](publish_atom, publish_items& items) {
      touch();
      // In a cluster with a store: acknowledged once stored here and on the replicas.
      bool gate = self->state.args.store && self->state.args.self_cluster;
      for (auto& item : items)
        handle_publish(self, item.cmd,
                       gate ? complete_after_replicas(self, item.done) : item.done);
      if (self->state.args.store) // one append for the publishes of this message
        start_append(self);
    },
    [self, touch](history_atom, const history_request& req) {
      touch();
      if (!ready(self))
        return self->state.stash.push_back([self, req] { serve_history(self, req); });
      serve_history(self, req);
    },
    [self, idle_ms](tick_atom) {
      auto& st = self->state;
      expire_history(self); // an idle channel's expired events leave the store too
      // Kept alive by local sessions, by relays on other nodes, and, on a replica, by being a
      // replica: a replica that retired while its owner lives would leave publishes
      // acknowledged with one copy fewer. A replica of a channel without events keeps nothing.
      bool empty = unused(st);
      bool needed = !st.subs.empty() || !st.relays.empty()
                    || (st.owner && st.args.replica && !empty) || store_busy(st)
                    || st.sequenced_writes > 0;
      if (st.retirement.report_due(needed, empty ? st.args.cfg->channel_empty_idle_ms : idle_ms))
        self->send(st.args.directory, idle_atom::value, st.args.name, st.retirement.handled());
      self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
    },
    [self](flush_atom) { flush(self); },
    // Shutdown: the fan-out of every acknowledged event leaves now rather than at the end of
    // the batch window, so its deliveries are in the sessions' mailboxes before their close.
    // Not counted as a directory message (the directory does not count it either).
    [self](drain_atom) -> std::size_t {
      auto n = self->state.pending.size();
      flush(self);
      return n;
    },
    [self](unused_atom) { on_unused_check(self); },
    // The directory's question for the stats actor: not counted, not activity (an idle
    // channel asked every second still retires).
    [self](watchers_atom) -> std::size_t { return self->state.subs.size(); },
    [self](retire_atom) {
      expire_history(self); // the last chance to trim the store's expired events
      self->quit();
    },
    // -- cluster --
    [self, touch](follow_atom, const follow_request& req) {
      touch();
      auto& st = self->state;
      if (st.owner) // not the owner (any more): pass the relay on to the owner
        return self->send(st.owner, follow_atom::value, req);
      if (st.adopting || st.loading)
        return st.stash.push_back([self, req] { add_relay(self, req); });
      add_relay(self, req);
    },
    [self](sync_atom, const follow_sync& sync) { on_sync(self, sync); },
    [self](replicate_atom, const std::vector<event>& events) -> caf::result<std::uint64_t> {
      return on_replicated(self, events);
    },
    [self, touch](fetch_atom, const fetch_request& req) -> caf::result<follow_sync> {
      touch(); // forwarded (and counted) by the directory, like every request
      return on_fetch(self, req);
    },
    [self](owner_atom, const cluster_actor& owner) {
      if (owner != self->state.owner)
        follow(self, owner);
    },
    [self](promote_atom) {
      if (self->state.owner)
        promote(self);
    },
    [self, touch](replica_atom) {
      touch(); // forwarded (and counted) by the directory
      // The view moved this node into a replica position: tell the owner, whose acks then
      // wait for this relay. A follow from our head changes nothing else.
      auto& st = self->state;
      if (st.args.replica)
        return;
      st.args.replica = true;
      if (st.owner && !st.loading) // else begin_role follows once loaded
        send_follow(self);
    },
    [self](retry_atom, std::uint64_t generation) {
      auto& st = self->state;
      if (st.owner && st.awaiting_sync && generation == st.follow_generation)
        send_follow(self);
    },
    // The admin API's numbers. Not a use: a listing must not keep a channel from retiring.
    [self](chanstat_atom)
      -> caf::result<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t> {
      const auto& st = self->state;
      return {static_cast<std::uint64_t>(st.subs.size()), last_seq(st), retained_events(st),
              st.args.epoch};
    },
  };
}

} // namespace

channel_actor spawn_channel(caf::actor_system& sys, channel_args args) {
  return sys.spawn(channel_behavior, std::move(args));
}

} // namespace sy
