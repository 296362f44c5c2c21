#include "actors/directory.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <unordered_map>

#include "actors/channel.hpp"
#include "actors/idempotency_window.hpp"
#include "actors/owner_forward.hpp"
#include "actors/pattern.hpp"
#include "schema/cluster.hpp"
#include "schema/ownership.hpp"

namespace sy {

namespace {

struct directory_state {
  struct entry {
    channel_actor channel;
    std::uint64_t forwarded = 0; // messages sent to the channel by the directory
    cluster_actor owner;         // cluster: the owner node of a relay; null: owned here
    // Counted under quota.max_channels: made by a publish, or holds events. Otherwise it
    // exists only for subscriptions (quota.max_empty_channels) until a publish or the
    // channel's (stored) moves it.
    bool stored = false;
  };
  struct pattern_entry {
    pattern_actor pattern;
    std::uint64_t forwarded = 0;
  };
  std::shared_ptr<const config> cfg;
  // Ordered, so a new pattern finds its existing channels with one range walk.
  std::map<std::string, entry> channels;
  std::size_t empty = 0; // entries not stored: made for subscriptions only
  // Wildcard index: pattern prefix ("postgres:" for "postgres:*", "" for "*") -> actor. A new
  // channel finds its patterns with one lookup per prefix of its name, never by scanning
  // subscriptions.
  std::unordered_map<std::string, pattern_entry> patterns;
  std::uint64_t next_epoch = 0;
  cluster_view view; // empty: a single node owns every channel
  // Patterns on other nodes, by prefix: attached to the matching channels owned here.
  std::unordered_map<std::string, std::vector<pattern_actor>> remote_patterns;
  std::chrono::milliseconds timeout{2000};
  std::shared_ptr<idempotency_budget> idempotency; // idempotency.max_node_bytes, all windows

  static inline const char* name = "directory";
};

using directory_ptr = directory_actor::stateful_pointer<directory_state>;

bool clustered(const directory_state& st) {
  return st.view.node_ids.size() > 1;
}

// The owner node's cluster actor for a channel; null when this node owns it (or is alone).
cluster_actor owner_of(const directory_state& st, const std::string& name) {
  if (!clustered(st))
    return {};
  auto rank = rank_nodes(st.view.node_ids, name);
  return rank.front() == st.view.self ? cluster_actor{} : st.view.handles[rank.front()];
}

// This node's position in the channel's ranking is a replica position (1..replicas).
bool replica_here(const directory_state& st, const std::string& name) {
  if (!clustered(st))
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
  if (!clustered(st) || st.view.replicas == 0)
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
  if (rp.empty())
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

// Why a channel is looked up: to hold events (publishes, replicas of an owner with events),
// or for subscriptions only (subscribes, and an owner spawned for a relay that follows it).
enum class use { events, subscription };

std::size_t stored_count(const directory_state& st) {
  return st.channels.size() - st.empty;
}

// A channel made for subscriptions starts to hold events: it moves to quota.max_channels, and
// an owned one gets its replica relays now (an event-less channel needs none).
void mark_stored(directory_ptr self, const std::string& name, directory_state::entry& e) {
  if (e.stored)
    return;
  e.stored = true;
  self->state.empty--;
  if (!e.owner)
    ensure_replicas(self, name);
}

// The channel, spawned on first use; null when its budget is used up: quota.max_channels
// channels holding events (for use::events, also when an existing subscription-only channel
// would become one), quota.max_empty_channels subscription-only channels and patterns (for
// use::subscription). Separate budgets, so subscribers never take the slots publishers need.
// In a cluster a channel owned elsewhere is spawned as a relay of its owner, unless
// `serve_here` (a request forwarded by a node that sees this one as the owner).
directory_state::entry* lookup(directory_ptr self, const std::string& name, use why,
                               bool serve_here = false) {
  auto& st = self->state;
  auto it = st.channels.find(name);
  if (it != st.channels.end()) {
    if (why == use::events && !it->second.stored) {
      if (stored_count(st) >= st.cfg->max_channels)
        return nullptr;
      mark_stored(self, name, it->second);
    }
    return &it->second;
  }
  if (why == use::events ? stored_count(st) >= st.cfg->max_channels
                         : st.empty + st.patterns.size() >= st.cfg->max_empty_channels)
    return nullptr;
  channel_args args;
  args.name = name;
  args.epoch = st.next_epoch++;
  args.directory = self;
  args.cfg = st.cfg;
  args.idempotency_node = st.idempotency;
  args.stored = why == use::events;
  if (clustered(st)) {
    args.self_cluster = st.view.handles[st.view.self];
    args.owner = serve_here ? cluster_actor{} : owner_of(st, name);
    args.replica = replica_here(st, name);
    if (!args.owner)
      for (std::size_t i = 0; i < st.view.handles.size(); ++i)
        if (i != st.view.self)
          args.adopt_from.push_back(st.view.handles[i]);
  }
  auto owner = args.owner;
  auto ch = spawn_channel(self->system(), std::move(args));
  for (std::size_t len = 0; len <= name.size(); ++len)
    if (auto p = st.patterns.find(name.substr(0, len)); p != st.patterns.end())
      self->send(ch, attach_atom::value, p->second.pattern);
  if (!owner) {
    if (why == use::events)
      ensure_replicas(self, name);
    attach_remote_patterns(self, name, ch);
  }
  if (why != use::events)
    st.empty++;
  return &st.channels
            .emplace(name, directory_state::entry{std::move(ch), 0, std::move(owner),
                                                  why == use::events})
            .first->second;
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
}

std::string channel_limit_text(directory_ptr self) {
  return "channel limit of " + std::to_string(self->state.cfg->max_channels)
         + " reached (quota.max_channels)";
}

std::string empty_limit_text(directory_ptr self) {
  return "limit of " + std::to_string(self->state.cfg->max_empty_channels)
         + " channels without events and wildcard patterns reached (quota.max_empty_channels)";
}

// The pattern actor for "prefix*", spawned on first use; null when quota.max_empty_channels
// subscription-only channels and patterns exist.
directory_state::pattern_entry* lookup_pattern(directory_ptr self, const std::string& pattern) {
  auto& st = self->state;
  auto prefix = pattern.substr(0, pattern.size() - 1);
  auto it = st.patterns.find(prefix);
  if (it != st.patterns.end())
    return &it->second;
  if (st.empty + st.patterns.size() >= st.cfg->max_empty_channels)
    return nullptr;
  auto p = spawn_pattern(self->system(), {pattern, self, st.cfg});
  for (auto c = st.channels.lower_bound(prefix);
       c != st.channels.end() && c->first.compare(0, prefix.size(), prefix) == 0; ++c)
    self->send(c->second.channel, attach_atom::value, p);
  announce_pattern(self, prefix, p);
  return &st.patterns.emplace(prefix, directory_state::pattern_entry{std::move(p), 0})
            .first->second;
}

void refuse_subscribe(directory_ptr self, sub_request& req) {
  sub_ack ack;
  ack.sub_id = req.sub_id;
  ack.topic = req.topic;
  ack.error = errc::quota_exceeded;
  ack.error_message = empty_limit_text(self);
  self->send(req.session, suback_atom::value, std::move(ack));
}

// Publishes from this node's clients go to the owner node of a channel with no relay here;
// the rest to the channel here (spawned if need be: a peer's publish is served here).
void route_publishes(directory_ptr self, publish_request& req) {
  auto& items = req.items;
  // Split by channel, keeping each channel's order; usually one channel, one message.
  std::vector<std::pair<std::string, publish_items>> by_channel;
  by_channel.reserve(1);
  const bool one_channel =
    std::all_of(items.begin(), items.end(),
                [&](const publish_item& i) { return i.cmd.channel == items[0].cmd.channel; });
  if (!items.empty() && one_channel) { // the common case: forward the batch as it came
    std::string name = items[0].cmd.channel;
    by_channel.emplace_back(std::move(name), std::move(items));
  } else {
    for (auto& item : items) {
      auto it = std::find_if(by_channel.begin(), by_channel.end(),
                             [&](const auto& b) { return b.first == item.cmd.channel; });
      if (it == by_channel.end()) {
        by_channel.emplace_back(item.cmd.channel, publish_items{});
        it = std::prev(by_channel.end());
      }
      it->second.push_back(std::move(item));
    }
  }
  const bool peer = req.from == request_origin::peer;
  for (auto& [name, batch] : by_channel) {
    if (!peer && !self->state.channels.count(name))
      if (auto owner = owner_of(self->state, name)) {
        for (auto& item : batch) // not relayed here: straight to the owner
          forward_to_owner(self, owner, self->state.timeout, std::move(item.cmd), item.done);
        continue;
      }
    auto* e = lookup(self, name, use::events, peer);
    if (!e) {
      for (auto& item : batch)
        item.done->fail(errc::quota_exceeded, channel_limit_text(self));
      continue;
    }
    e->forwarded++;
    self->send(e->channel, publish_atom::value, std::move(batch));
  }
}

// A read never spawns a channel: with none here (and, for this node's clients, no owner
// elsewhere) the answer is an empty page, not recovered if the reader had a cursor.
void route_history(directory_ptr self, const history_request& req) {
  const auto& q = req.query;
  auto it = self->state.channels.find(q.channel);
  if (it != self->state.channels.end()) {
    it->second.forwarded++;
    self->send(it->second.channel, history_atom::value, req);
    return;
  }
  if (req.from == request_origin::client)
    if (auto owner = owner_of(self->state, q.channel)) {
      auto done = req.done;
      self->request(owner, self->state.timeout, history_atom::value, q)
        .then([done](wire_history_page& w) { done->complete(from_wire(w)); },
              [self, done](const caf::error& err) {
                if (errc_of(err) == errc::bad_cursor) // the owner refused the cursor
                  return done->fail(errc::bad_cursor, detail_of(err));
                done->fail(errc::unavailable,
                           "the owner node did not answer: " + self->system().render(err));
              });
      return;
    }
  history_page page;
  page.recovered = !q.has_cursor;
  req.done->complete(page);
}

directory_actor::behavior_type directory_behavior(directory_ptr self,
                                                  std::shared_ptr<const config> cfg) {
  self->state.cfg = std::move(cfg);
  self->state.timeout = std::chrono::milliseconds(self->state.cfg->cluster_request_timeout_ms);
  self->state.idempotency =
    std::make_shared<idempotency_budget>(self->state.cfg->idempotency_max_node_bytes);
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
    [self](stored_atom, const std::string& name) {
      // Only from the live incarnation: a retired one's late message names a newer channel.
      auto it = self->state.channels.find(name);
      if (it != self->state.channels.end()
          && it->second.channel.address()
               == caf::actor_cast<caf::actor_addr>(self->current_sender()))
        mark_stored(self, name, it->second);
    },
  };
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, std::shared_ptr<const config> cfg) {
  return sys.spawn(directory_behavior, std::move(cfg));
}

} // namespace sy
