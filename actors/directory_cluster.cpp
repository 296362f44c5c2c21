// The directory in a cluster (CLUSTER.md): which node owns a channel, the replica positions,
// patterns of other nodes, and a new member list.
#include "actors/directory_state.hpp"

#include "schema/audit_channels.hpp"
#include "schema/ownership.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>

namespace sy::directory_impl {

bool clustered(const directory_state& st) {
  return st.view.node_ids.size() > 1;
}

// The owner node's cluster actor for a channel; null when this node owns it (or is alone, or
// the channel describes this node only).
cluster_actor owner_of(const directory_state& st, const std::string& name) {
  if (!clustered(st) || node_local_channel(name))
    return {};
  auto rank = rank_nodes(st.view.node_ids, name);
  return rank.front() == st.view.self ? cluster_actor{} : st.view.handles[rank.front()];
}

// This node's position in the channel's ranking is a replica position (1..replicas).
bool replica_here(const directory_state& st, const std::string& name) {
  if (!clustered(st) || node_local_channel(name))
    return false;
  auto rank = rank_nodes(st.view.node_ids, name);
  for (std::size_t i = 1; i <= st.view.replicas && i < rank.size(); ++i)
    if (rank[i] == st.view.self)
      return true;
  return false;
}

// Asks the nodes in the channel's replica positions to keep a relay of it.
void ensure_replicas(directory_ptr self, const std::string& name) {
  auto& st = self->state;
  if (!clustered(st) || st.view.replicas == 0 || node_local_channel(name))
    return;
  auto rank = rank_nodes(st.view.node_ids, name);
  for (std::size_t i = 1; i <= st.view.replicas && i < rank.size(); ++i)
    if (rank[i] != st.view.self)
      self->send(st.view.handles[rank[i]], replica_atom::value, name);
}

// Hands an owned channel the patterns of other nodes that match its name.
void attach_remote_patterns(directory_ptr self, const std::string& name,
                            const channel_actor& ch) {
  auto& rp = self->state.remote_patterns;
  if (rp.empty() || node_local_channel(name)) // another node's pattern gets its own node's
    return;
  for (std::size_t len = 0; len <= name.size(); ++len)
    if (auto it = rp.find(name.substr(0, len)); it != rp.end())
      for (const auto& p : it->second)
        self->send(ch, peer_pattern_atom::value, p);
}

// Tells the other members about a local pattern, so that their owned channels send it bursts.
void announce_pattern(directory_ptr self, const std::string& prefix, const pattern_actor& p) {
  auto& st = self->state;
  if (!clustered(st))
    return;
  for (std::size_t i = 0; i < st.view.handles.size(); ++i)
    if (i != st.view.self)
      self->send(st.view.handles[i], peer_pattern_atom::value, remote_pattern{prefix, p});
}

history_page from_wire(wire_history_page& w) {
  history_page p;
  for (auto& e : w.events)
    p.events.push_back(std::make_shared<const encoded_event>(encode_event(std::move(e))));
  p.next_cursor = std::move(w.next_cursor);
  p.has_more = w.has_more;
  p.recovered = w.recovered;
  return p;
}

// A new member list: channels whose owner moved follow the new owner; relays whose owner is
// this node now take over (promotion).
void apply_view(directory_ptr self, cluster_view& v) {
  auto& st = self->state;
  st.view = std::move(v);
  for (auto& [name, e] : st.channels) {
    auto owner = owner_of(st, name);
    if (owner == e.owner)
      continue;
    e.owner = owner;
    if (owner) {
      self->send(e.channel, owner_atom::value, owner);
    } else {
      self->send(e.channel, promote_atom::value);
      attach_remote_patterns(self, name, e.channel);
    }
  }
  for (auto& [name, e] : st.channels)
    if (!e.owner && e.stored)
      ensure_replicas(self, name); // a new member may take a replica position
  for (auto& [prefix, p] : st.patterns) // a new member learns our patterns (it dedups)
    announce_pattern(self, prefix, p.pattern);
  rooms_view(self);
}

namespace {

// Reads a channel's stored events after `after` into `sync`, a page at a time, then answers.
void read_stored(directory_ptr self, std::shared_ptr<follow_sync> sync, std::uint64_t after,
                 caf::typed_response_promise<follow_sync> rp) {
  auto& st = self->state;
  store_read r;
  r.channel = sync->channel;
  r.after_seq = after;
  r.limit = static_cast<std::uint32_t>(
    std::min<std::size_t>(std::max<std::size_t>(st.cfg->namespace_for(r.channel).history_size, 1), UINT32_MAX));
  self->request(st.store, caf::infinite, st_read_atom::value, std::move(r))
    .then(
      [self, sync, rp](store_page& page) mutable {
        for (auto& e : page.events)
          sync->events.push_back(std::move(e));
        if (page.has_more && !sync->events.empty() && sync->events.back().seq < sync->head)
          return read_stored(self, sync, sync->events.back().seq, rp);
        // The keys whose events are not in the answer travel as receipts (the events' own
        // keys come with them).
        auto before = sync->events.empty() ? UINT64_MAX : sync->events.front().seq;
        sync->receipts.erase(std::remove_if(sync->receipts.begin(), sync->receipts.end(),
                                            [&](const auto& r) { return r.seq >= before; }),
                             sync->receipts.end());
        rp.deliver(std::move(*sync));
      },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
}

} // namespace

// A new owner fetches a channel that is not live here: the answer is its stored state (epoch,
// head, its last history.size events), as a live relay would give it. The channel is not
// spawned: most fetches find nothing, and a relay spawned for each would follow the owner.
caf::typed_response_promise<follow_sync> fetch_from_store(directory_ptr self,
                                                          const std::string& channel) {
  auto rp = self->make_response_promise<follow_sync>();
  self->request(self->state.store, caf::infinite, st_load_atom::value,
                store_load{channel, wall_clock_ms()})
    .then(
      [self, channel, rp](store_channel_state& s) mutable {
        auto sync = std::make_shared<follow_sync>();
        sync->channel = channel;
        if (!s.found || s.meta.next_seq <= 1) {
          rp.deliver(std::move(*sync));
          return;
        }
        sync->epoch = s.meta.epoch;
        sync->head = s.meta.next_seq - 1;
        sync->receipts = std::move(s.receipts); // unexpired ones
        std::uint64_t keep =
          std::max<std::size_t>(self->state.cfg->namespace_for(channel).history_size, 1);
        std::uint64_t after = sync->head > keep ? sync->head - keep : 0;
        if (s.first_seq > after + 1)
          after = s.first_seq - 1;
        read_stored(self, sync, after, rp);
      },
      [rp](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

} // namespace sy::directory_impl
