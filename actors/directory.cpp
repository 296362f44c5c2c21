#include "actors/directory.hpp"

#include <algorithm>
#include <iterator>
#include <random>

#include "actors/directory_state.hpp"
#include "schema/room_cluster.hpp"

namespace sy {

namespace {

using namespace directory_impl;

// Shutdown drain: asks every channel to flush its pending fan-out, and once all answered,
// every pattern (a channel's flush feeds its patterns, which forward to their sessions). Each
// answer comes after the deliveries its actor sent, so when the promise is delivered every
// acknowledged event is in the mailboxes of the sessions that get it. An actor that does not
// answer within the directory's timeout counts as drained: the caller bounds the whole.
struct drain_tally {
  caf::typed_response_promise<std::size_t> promise;
  std::size_t waiting = 0;
  std::size_t flushed = 0;
};

template <class Actor, class Done>
void ask_drain(directory_ptr self, const std::vector<Actor>& actors,
               std::shared_ptr<drain_tally> t, Done done) {
  if (actors.empty())
    return done();
  t->waiting = actors.size();
  for (const auto& a : actors) {
    auto one = [t, done](std::size_t n) {
      t->flushed += n;
      if (--t->waiting == 0)
        done();
    };
    self->request(a, self->state.timeout, drain_atom::value)
      .then(one, [one](const caf::error&) { one(0); });
  }
}

caf::result<std::size_t> drain(directory_ptr self) {
  auto t = std::make_shared<drain_tally>();
  t->promise = self->make_response_promise<std::size_t>();
  std::vector<channel_actor> channels;
  for (auto& [name, e] : self->state.channels)
    channels.push_back(e.channel);
  ask_drain(self, channels, t, [self, t] {
    std::vector<pattern_actor> patterns;
    for (auto& [prefix, p] : self->state.patterns)
      patterns.push_back(p.pattern);
    ask_drain(self, patterns, t, [t] { t->promise.deliver(t->flushed); });
  });
  return t->promise;
}

directory_actor::behavior_type directory_behavior(directory_ptr self,
                                                  std::shared_ptr<const config> cfg,
                                                  store_actor store) {
  self->state.cfg = std::move(cfg);
  self->state.store = std::move(store);
  self->state.timeout = std::chrono::milliseconds(self->state.cfg->cluster_request_timeout_ms);
  self->state.idempotency =
    std::make_shared<idempotency_budget>(self->state.cfg->idempotency_max_node_bytes);
  self->state.hot = std::make_shared<byte_budget>(hot_tail_bytes(*self->state.cfg));
  // Epochs start at a random point so cursors of a previous process never look current.
  std::random_device rd;
  self->state.next_epoch = ((std::uint64_t{rd()} << 20) ^ wall_clock_ms()) & 0xffffffffffffULL;
  self->set_down_handler([self](caf::down_msg& dm) { // a remote pattern retired or its node died
    auto& rp = self->state.remote_patterns;
    for (auto it = rp.begin(); it != rp.end();) {
      auto& list = it->second;
      list.erase(std::remove_if(list.begin(), list.end(),
                                [&](const pattern_actor& p) { return p.address() == dm.source; }),
                 list.end());
      it = list.empty() ? rp.erase(it) : std::next(it);
    }
  });
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [name, e] : self->state.channels)
      self->send_exit(e.channel, msg.reason);
    for (auto& [prefix, p] : self->state.patterns)
      self->send_exit(p.pattern, msg.reason);
    self->state.channels.clear();
    self->state.empty = 0;
    self->state.patterns.clear();
    for (auto& [name, r] : self->state.rooms)
      self->send_exit(r.room, msg.reason);
    self->state.rooms.clear();
    self->quit(msg.reason);
  });
  return {
    // The hot path (REST): `req` is this message's only reference, so taking it mutable costs
    // no copy, and the publishes move on to their channels without copying a payload.
    [self](publish_atom, publish_request& req) { route_publishes(self, req); },
    [self](history_atom, const history_request& req) { route_history(self, req); },
    [self](view_atom, cluster_view& v) { apply_view(self, v); },
    [self](follow_atom, const follow_request& req) {
      // An owner spawned for a relay is counted like one made by a subscribe: it moves to
      // quota.max_channels when it holds events (adopted, or published).
      auto* e = lookup(self, req.channel, use::subscription, true);
      if (!e)
        return;
      e->forwarded++;
      self->send(e->channel, follow_atom::value, req);
    },
    [self](fetch_atom, const fetch_request& req) -> caf::result<follow_sync> {
      auto it = self->state.channels.find(req.channel);
      if (it == self->state.channels.end()) {
        // With a store the channel may be on this node's disk though not live: the answer
        // is what the store holds, read without spawning the channel here.
        if (self->state.store)
          return fetch_from_store(self, req.channel);
        follow_sync none;
        none.channel = req.channel;
        return none;
      }
      it->second.forwarded++;
      it->second.owner = req.new_owner; // the channel follows the requester from now on
      return self->delegate(it->second.channel, fetch_atom::value, req);
    },
    [self](peer_pattern_atom, const remote_pattern& remote) {
      auto& st = self->state;
      auto& list = st.remote_patterns[remote.prefix];
      if (std::find(list.begin(), list.end(), remote.pattern) != list.end())
        return;
      self->monitor(remote.pattern);
      list.push_back(remote.pattern);
      const auto& prefix = remote.prefix;
      for (auto c = st.channels.lower_bound(prefix);
           c != st.channels.end() && c->first.compare(0, prefix.size(), prefix) == 0; ++c)
        if (!c->second.owner)
          self->send(c->second.channel, peer_pattern_atom::value, remote.pattern);
    },
    [self](replica_atom, const std::string& name) {
      bool existed = self->state.channels.count(name) > 0;
      // Sent only for channels that hold events on their owner.
      auto* e = lookup(self, name, use::events); // a new relay follows the owner by itself
      if (!e || !existed || !e->owner)
        return;
      // An existing relay that now holds a replica position. Counted only when sent: a count
      // the channel never sees would keep it from ever retiring.
      e->forwarded++;
      self->send(e->channel, replica_atom::value);
    },
    [self](subscribe_atom, sub_request& req) {
      if (!req.topic.empty() && req.topic.back() == '*') { // validated by the session
        auto* p = lookup_pattern(self, req.topic);
        if (!p)
          return refuse_subscribe(self, req);
        p->forwarded++;
        self->send(p->pattern, subscribe_atom::value, std::move(req));
        return;
      }
      auto* e = lookup(self, req.topic, use::subscription);
      if (!e)
        return refuse_subscribe(self, req);
      e->forwarded++;
      self->send(e->channel, subscribe_atom::value, std::move(req));
    },
    [self](idle_atom, const std::string& name, std::uint64_t handled) {
      auto& st = self->state;
      if (!name.empty() && name.back() == '*') { // a pattern: channels drop it on its down_msg
        auto p = st.patterns.find(name.substr(0, name.size() - 1));
        if (p == st.patterns.end() || p->second.forwarded != handled)
          return;
        self->send(p->second.pattern, retire_atom::value);
        st.patterns.erase(p);
        return;
      }
      auto it = self->state.channels.find(name);
      if (it == self->state.channels.end() || it->second.forwarded != handled)
        return; // more messages are on their way: the channel stays
      self->send(it->second.channel, retire_atom::value);
      if (!it->second.stored)
        st.empty--;
      self->state.channels.erase(it);
    },
    [self](drain_atom) -> caf::result<std::size_t> { return drain(self); },
    // Not counted as forwarded (the channel does not count it): asking is no activity, so the
    // stats actor's question every interval keeps no channel alive.
    [self](watchers_atom, const std::string& name) -> caf::result<std::size_t> {
      auto it = self->state.channels.find(name);
      if (it == self->state.channels.end())
        return std::size_t{0};
      return self->delegate(it->second.channel, watchers_atom::value);
    },
    [self](stored_atom, const std::string& name) {
      // Only from the live incarnation: a retired one's late message names a newer channel.
      auto it = self->state.channels.find(name);
      if (it != self->state.channels.end()
          && it->second.channel.address()
               == caf::actor_cast<caf::actor_addr>(self->current_sender()))
        mark_stored(self, name, it->second);
    },
    // -- rooms (directory_rooms.cpp) --
    [self](join_atom, const room_join& j) { route_join(self, j); },
    [self](patch_atom, const room_patch& p) { route_patch(self, p); },
    [self](metadata_atom, const room_metadata& md) { route_metadata(self, md); },
    [self](roomread_atom, const room_read& r) { route_room_read(self, r); },
    [self](chanlist_atom, const channel_list_request& r) { list_channels(self, r); },
    [self](roomidle_atom, const std::string& name, std::uint64_t handled) {
      retire_room(self, name, handled);
    },
    [self](roomlink_atom, const wire_room_link& l) { route_room_link(self, l); },
    [self](roomrep_atom, const wire_room_record& r) -> caf::result<std::uint64_t> {
      return keep_room_record(self, r);
    },
    [self](roomfetch_atom, const std::string& room) -> caf::result<wire_room_record> {
      return kept_room_record(self, room);
    },
  };
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, std::shared_ptr<const config> cfg,
                                store_actor store) {
  return sys.spawn(directory_behavior, std::move(cfg), std::move(store));
}

} // namespace sy
