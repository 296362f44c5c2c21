// Channels and patterns by name: spawned on first use within the two channel budgets, and the
// routing of publishes and history reads to them (or to the owner node).
#include "actors/directory_state.hpp"

#include <algorithm>
#include <iterator>

#include "actors/channel.hpp"
#include "actors/log_line.hpp"
#include "actors/owner_forward.hpp"
#include "actors/pattern.hpp"
#include "schema/audit_channels.hpp"

namespace sy::directory_impl {

namespace {

std::size_t stored_count(const directory_state& st) {
  return st.channels.size() - st.empty;
}

std::string channel_limit_text(directory_ptr self) {
  return "channel limit of " + std::to_string(self->state.cfg->max_channels)
         + " reached (quota.max_channels)";
}

std::string empty_limit_text(directory_ptr self) {
  return "limit of " + std::to_string(self->state.cfg->max_empty_channels)
         + " channels without events and wildcard patterns reached (quota.max_empty_channels)";
}

} // namespace

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
                               bool serve_here) {
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
  args.hot_node = st.hot;
  // A channel about this node alone (console.stats) is memory-only and takes no part in the
  // cluster: no owner elsewhere, no replicas, no state to adopt.
  const bool local = node_local_channel(name);
  args.store = local ? store_actor{} : st.store;
  args.stored = why == use::events;
  if (clustered(st) && !local) {
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

void refuse_subscribe(directory_ptr self, const sub_request& req) {
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
      log_record(spdlog::level::warn, "quota.refused", "quota refused: publish to a new channel",
                 {{"channel", name}, {"refused", batch.size()}, {"reason", channel_limit_text(self)}});
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
  // With a store a channel that is not live may still hold events on disk: it is spawned (as
  // a subscription-only channel until it finds events) and loads them before it answers. In a
  // cluster, where it is owned (a read from another node is served here).
  const bool peer = req.from == request_origin::peer;
  if (self->state.store && !node_local_channel(q.channel)
      && (peer || !owner_of(self->state, q.channel))) {
    auto* e = lookup(self, q.channel, use::subscription, peer);
    if (!e)
      return req.done->fail(errc::quota_exceeded,
                            "too many channels are live to load this one (quota.max_empty_channels)");
    e->forwarded++;
    self->send(e->channel, history_atom::value, req);
    return;
  }
  if (req.from == request_origin::client)
    if (auto owner = owner_of(self->state, q.channel)) {
      auto done = req.done;
      metrics::forwarded_to_owner(metrics::forward::history);
      self->request(owner, self->state.timeout, history_atom::value, q)
        .then([done](wire_history_page& w) { done->complete(from_wire(w)); },
              [self, done](const caf::error& err) { fail_from_owner(self, done, err); });
      return;
    }
  // No channel here (it retired, or never held an event): nothing to return. The caller keeps
  // its place: the given cursor comes back, so a client that always passes nextCursor on never
  // holds null (and a later incarnation's events come with recovered:false, as for any cursor
  // of an older incarnation).
  history_page page;
  page.recovered = !q.has_cursor;
  if (q.has_cursor)
    page.next_cursor = format_cursor(q.after);
  req.done->complete(page);
}

} // namespace sy::directory_impl
