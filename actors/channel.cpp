#include "actors/channel.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "actors/history_store.hpp"
#include "actors/idempotency_window.hpp"
#include "actors/owner_forward.hpp"
#include "actors/retirement_clock.hpp"
#include "actors/subscriber_set.hpp"
#include "schema/cluster.hpp"

namespace sy {

namespace {

struct channel_state {
  channel_args args;
  namespace_config ns;
  std::unique_ptr<history_store> history;
  std::unique_ptr<idempotency_window> idempotency;
  std::uint64_t next_seq = 1;
  subscriber_set subs;
  std::vector<pattern_actor> patterns; // wildcard subscriptions matching this channel
  std::vector<pattern_actor> remote_patterns; // ... on other nodes (while this node owns it)
  retirement_clock retirement;
  bool told_stored = false; // the directory knows this channel holds events
  std::vector<event_ptr> pending; // published, not yet fanned out
  std::vector<std::pair<publish_completion, publish_result>> pending_done; // cluster: acked later
  bool flush_scheduled = false;
  std::chrono::steady_clock::time_point last_flush{};

  // -- cluster --
  struct relay {
    channel_actor who;
    bool replica = false;
  };
  struct inflight { // a burst sent to the replicas, waiting for their acks
    event_batch all;
    std::vector<std::pair<publish_completion, publish_result>> done;
    std::size_t waiting = 0;
    std::uint64_t id = 0;
  };
  cluster_actor owner;         // set: this channel is a relay of the owner node
  bool synced = true;          // relay: holds the owner's history
  bool adopting = false;       // owner: fetching the state of other nodes before sequencing
  bool awaiting_sync = false;  // relay: a follow request is unanswered (retried until it is)
  std::uint64_t follow_generation = 0; // a retry timer of an older follow request is stale
  std::vector<std::function<void()>> stash; // work that waits for synced / adopted
  std::vector<relay> relays;   // owner: relays on other nodes
  std::deque<inflight> inflight;
  std::uint64_t next_inflight = 1;
  std::chrono::milliseconds timeout{2000};

  static inline const char* name = "channel";
};

using channel_ptr = channel_actor::stateful_pointer<channel_state>;

std::uint64_t last_seq(const channel_state& st) {
  return st.next_seq - 1;
}

std::unique_ptr<idempotency_window> make_window(const channel_args& a) {
  return std::make_unique<idempotency_window>(
    idempotency_window::limits{a.cfg->idempotency_window_ms, a.cfg->idempotency_max_keys,
                               a.cfg->idempotency_max_bytes},
    a.idempotency_node);
}

// The channel holds its first event: a channel the directory counts as made for subscriptions
// moves to quota.max_channels (and gets its replicas), once.
void note_stored(channel_ptr self) {
  auto& st = self->state;
  if (st.told_stored || st.args.stored || last_seq(st) == 0)
    return;
  st.told_stored = true;
  self->send(st.args.directory, stored_atom::value, st.args.name);
}

// The answer to a retried publish: the original event while the history still holds it (the
// first reply, byte for byte), else the receipt (the stored event without data and metadata).
event_ptr original_event(const channel_state& st, const idempotency_receipt& r,
                         const std::string& key) {
  if (r.seq >= st.history->first_seq() && r.seq <= st.history->last_seq()) {
    auto held = st.history->read_after(r.seq - 1, 1);
    if (!held.empty() && held.front()->ev.seq == r.seq)
      return held.front();
  }
  event e;
  e.channel = st.args.name;
  e.epoch = st.args.epoch;
  e.seq = r.seq;
  e.timestamp_ms = r.timestamp_ms;
  e.type = r.type;
  e.idempotency_key = key;
  e.correlation_id = r.correlation_id; // data_json stays empty: a receipt (encode_event)
  return std::make_shared<const encoded_event>(encode_event(std::move(e)));
}

// Publishes that arrive back-to-back share one flush: each subscriber gets one message per
// burst instead of one per event. The flush is a message to self, so it runs right after the
// publishes already queued; when idle it adds no latency.
//
// Under load (the previous flush was less than channel.batch_window_us ago) the flush waits out
// the rest of that window, so a stream of publishes leaves in bursts: per subscriber, one
// message, one outbox entry and one writev carry several events instead of one. An idle
// channel flushes at once.
void schedule_flush(channel_ptr self) {
  auto& st = self->state;
  if (st.flush_scheduled)
    return;
  st.flush_scheduled = true;
  auto window = std::chrono::microseconds(st.args.cfg->batch_window_us);
  auto since = std::chrono::steady_clock::now() - st.last_flush;
  if (window.count() == 0 || since >= window)
    self->send(self, flush_atom::value);
  else
    self->delayed_send(self, window - since, flush_atom::value);
}

void fan_out_local(channel_ptr self, const event_batch& all) {
  auto& st = self->state;
  st.subs.fan_out(all, [self](const subscriber_set::member& m, const event_batch& batch,
                              std::uint32_t offset) {
    self->send(m.session, deliver_atom::value, m.sub_id, batch, offset);
  });
  // Patterns hear a channel from its owner only (a relay would repeat what the owner sends
  // to the patterns of every node): one message per pattern per burst, not per subscriber.
  if (st.owner)
    return;
  for (const auto& p : st.patterns)
    self->send(p, deliver_atom::value, all);
  if (!st.remote_patterns.empty()) {
    std::vector<event> plain;
    plain.reserve(all->size());
    for (const auto& e : *all)
      plain.push_back(e->ev);
    for (const auto& p : st.remote_patterns)
      self->send(p, deliver_atom::value, plain);
  }
}

std::vector<event> plain_events(const event_batch& all) {
  std::vector<event> out;
  out.reserve(all->size());
  for (const auto& e : *all)
    out.push_back(e->ev);
  return out;
}

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
    auto plain = plain_events(b.all);
    for (const auto& r : st.relays)
      if (!r.replica)
        self->request(r.who, st.timeout, replicate_atom::value, plain)
          .then([](std::uint64_t) {}, [](const caf::error&) {});
  }
}

void flush(channel_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  st.last_flush = std::chrono::steady_clock::now();
  if (st.pending.empty())
    return;
  auto all = std::make_shared<const std::vector<event_ptr>>(std::move(st.pending));
  st.pending.clear();
  std::size_t replicas = 0;
  for (const auto& r : st.relays)
    replicas += r.replica ? 1 : 0;
  if (replicas == 0 && st.inflight.empty()) { // single node, or no replica yet
    for (auto& [done, result] : st.pending_done)
      done->complete(result);
    st.pending_done.clear();
    fan_out_local(self, all);
    if (!st.relays.empty()) {
      auto plain = plain_events(all);
      for (const auto& r : st.relays)
        self->request(r.who, st.timeout, replicate_atom::value, plain)
          .then([](std::uint64_t) {}, [](const caf::error&) {});
    }
    return;
  }
  auto id = st.next_inflight++;
  st.inflight.push_back({all, std::move(st.pending_done), replicas, id});
  st.pending_done.clear();
  auto plain = plain_events(all);
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

publish_result publish(channel_ptr self, publish_cmd& cmd) {
  auto& st = self->state;
  auto now = wall_clock_ms();
  if (!cmd.idempotency_key.empty())
    if (auto* prior = st.idempotency->find(cmd.idempotency_key, now))
      return {original_event(st, *prior, cmd.idempotency_key), true};
  event e;
  e.channel = st.args.name;
  e.epoch = st.args.epoch;
  e.seq = st.next_seq++;
  e.timestamp_ms = now;
  e.type = cmd.type.empty() ? "message" : std::move(cmd.type);
  e.data_json = std::move(cmd.data_json);
  e.metadata_json = std::move(cmd.metadata_json);
  e.metadata = std::move(cmd.metadata);
  e.idempotency_key = std::move(cmd.idempotency_key);
  e.correlation_id = std::move(cmd.correlation_id);
  auto ev = std::make_shared<const encoded_event>(encode_event(std::move(e)));
  st.history->append(ev);
  if (!ev->ev.idempotency_key.empty())
    st.idempotency->remember(ev->ev.idempotency_key, ev->ev, now);
  note_stored(self);
  // Nobody to fan out to: no flush (a REST-only channel schedules no timer per window). A
  // later subscriber would not get this event live anyway: its from_seq starts after it.
  // Relays (replicas) and other nodes' patterns are somebody too.
  if (!st.subs.empty() || !st.patterns.empty() || !st.relays.empty()
      || !st.remote_patterns.empty()) {
    st.pending.push_back(ev);
    schedule_flush(self);
  }
  return {ev, false};
}

// Completes a publish now (single node) or with its burst once the replicas have it.
void complete_publish(channel_ptr self, const publish_completion& done, publish_result r) {
  auto& st = self->state;
  bool replicated = std::any_of(st.relays.begin(), st.relays.end(),
                                [](const auto& r) { return r.replica; });
  if (r.duplicate || (!replicated && st.inflight.empty())) {
    done->complete(r);
    return;
  }
  st.pending_done.emplace_back(done, std::move(r));
}

// -- relay side ---------------------------------------------------------------------------------

bool ready(channel_ptr self) {
  return self->state.synced && !self->state.adopting;
}

void run_stash(channel_ptr self) {
  auto work = std::move(self->state.stash);
  self->state.stash.clear();
  for (auto& w : work)
    w();
}

// -- channels that never held an event ---------------------------------------------------------

// Nothing to keep and nobody to serve: no event ever, no subscriber, no relay following it, no
// cluster exchange under way. Such a channel exists only because somebody subscribed; it
// retires channel.empty_idle_ms after that ended, not channel.idle_ms.
bool unused(const channel_state& st) {
  return last_seq(st) == 0 && st.subs.empty() && st.relays.empty() && st.synced
         && !st.adopting && !st.awaiting_sync && st.stash.empty();
}

// Arms one (unused) check while the channel has never held an event; the check decides.
void check_unused_soon(channel_ptr self) {
  auto& st = self->state;
  if (last_seq(st) > 0)
    return;
  auto delay = st.retirement.arm_check(st.args.cfg->channel_empty_idle_ms);
  if (delay == 0)
    self->send(self, unused_atom::value);
  else if (delay > 0)
    self->delayed_send(self, std::chrono::milliseconds(delay), unused_atom::value);
}

void on_unused_check(channel_ptr self) {
  auto& st = self->state;
  st.retirement.check_arrived();
  if (!unused(st))
    return; // a subscriber, an event or a relay came: their end arms the next check
  auto grace = st.args.cfg->channel_empty_idle_ms;
  if (st.retirement.quiet_ms() < grace)
    return check_unused_soon(self);
  // Once per quiet period: a refused report (a directory message in flight) re-arms when that
  // message is handled.
  if (st.retirement.report_due(false, grace))
    self->send(st.args.directory, idle_atom::value, st.args.name, st.retirement.handled());
}

// Asks the owner node for its history after ours and its live bursts. Retried until the
// owner's sync arrives: the request may reach a node that is not the owner yet while the
// members' views converge.
void send_follow(channel_ptr self) {
  auto& st = self->state;
  st.awaiting_sync = true;
  follow_request req;
  req.channel = st.args.name;
  req.after = cursor{st.args.epoch, last_seq(st)};
  req.has_after = st.history->size() > 0 || st.next_seq > 1;
  req.relay = self;
  req.replica = st.args.replica;
  self->send(st.owner, follow_atom::value, std::move(req));
  self->delayed_send(self, st.timeout, retry_atom::value, ++st.follow_generation);
}

// Appends an event sequenced by the owner (relay) or adopted from another node.
void take_event(channel_ptr self, const event& e, bool fan_out) {
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
}

void reset_history(channel_ptr self, std::uint64_t epoch) {
  auto& st = self->state;
  st.history = make_memory_history(st.ns.history_size);
  st.idempotency = make_window(st.args);
  st.args.epoch = epoch;
  st.next_seq = 1;
}

void on_sync(channel_ptr self, const follow_sync& sync) {
  auto& st = self->state;
  if (!st.owner)
    return; // promoted meanwhile
  if (sync.epoch != st.args.epoch || !sync.recovered)
    reset_history(self, sync.epoch);
  for (const auto& e : sync.events)
    if (e.seq > last_seq(st))
      take_event(self, e, st.synced);
  st.next_seq = std::max(st.next_seq, sync.head + 1);
  note_stored(self);
  st.awaiting_sync = false;
  if (!st.synced) {
    st.synced = true;
    run_stash(self);
  }
  check_unused_soon(self);
}

std::uint64_t on_replicated(channel_ptr self, const std::vector<event>& events) {
  auto& st = self->state;
  if (!st.owner || !st.synced)
    return last_seq(st);
  for (const auto& e : events) {
    if (e.epoch != st.args.epoch || e.seq <= last_seq(st))
      continue; // older incarnation, or already held
    if (e.seq != last_seq(st) + 1) { // a gap (a lost message): ask again from our position
      send_follow(self);
      break;
    }
    take_event(self, e, true);
  }
  return last_seq(st);
}

// -- owner side ---------------------------------------------------------------------------------

follow_sync make_sync(channel_ptr self, const cursor& after, bool has_after) {
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
  return s;
}

void add_relay(channel_ptr self, const follow_request& req) {
  auto& st = self->state;
  self->send(req.relay, sync_atom::value, make_sync(self, req.after, req.has_after));
  auto it = std::find_if(st.relays.begin(), st.relays.end(),
                         [&](const auto& r) { return r.who == req.relay; });
  if (it == st.relays.end()) {
    self->monitor(req.relay);
    st.relays.push_back({req.relay, req.replica});
  } else {
    it->replica = req.replica;
  }
}

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
    if (best->head > 0) {
      reset_history(self, best->epoch);
      for (const auto& e : best->events)
        take_event(self, e, false);
      st.next_seq = best->head + 1;
      spdlog::info("channel {}: adopted epoch {} at seq {} from another node", st.args.name,
                   best->epoch, best->head);
    }
    st.adopting = false;
    if (!st.owner)
      run_stash(self);
    check_unused_soon(self);
  };
  for (const auto& node : st.args.adopt_from) {
    self->request(node, st.timeout, fetch_atom::value, fetch_request{st.args.name, st.args.self_cluster})
      .then(
        [best, done](follow_sync& s) {
          if (s.head > best->head)
            *best = std::move(s);
          done();
        },
        [done](const caf::error&) { done(); });
  }
}

// Replay and registration in the same turn: the ack (with the replay) is sent before any later
// live event, and CAF keeps per-sender order, so nothing is lost or repeated in between. Events
// still pending a flush are in the replay; from_seq keeps the flush from sending them again.
void subscribe(channel_ptr self, sub_request& req) {
  auto& st = self->state;
  // A re-subscribe replaces filter and cursor; the session is already monitored then.
  bool known = st.subs.contains(req.session.address());
  sub_ack ack;
  ack.sub_id = req.sub_id;
  ack.topic = st.args.name;
  ack.channel = self;
  ack.cursor = format_cursor({st.args.epoch, last_seq(st)});
  auto head = last_seq(st);
  if (req.has_since) {
    ack.has_since = true;
    auto first = st.history->first_seq();
    bool same_epoch = req.since.epoch == st.args.epoch && req.since.seq <= head;
    bool in_window = st.history->size() == 0 ? req.since.seq == head
                                             : req.since.seq + 1 >= first;
    ack.recovered = same_epoch && in_window;
    auto from = ack.recovered ? req.since.seq : 0;
    ack.replay = st.history->read_after(from, st.history->size());
  } else if (st.ns.snapshot > 0) {
    ack.snapshot = true;
    ack.replay = st.history->last(st.ns.snapshot);
  }
  // Filters hold on replay too.
  if (req.filter) {
    data_cache cache(ack.replay);
    std::vector<event_ptr> kept;
    for (std::size_t i = 0; i < ack.replay.size(); ++i)
      if (passes(req.filter, ack.replay, i, cache))
        kept.push_back(ack.replay[i]);
    ack.replay = std::move(kept);
  }
  if (!known)
    self->monitor(req.session);
  self->send(req.session, suback_atom::value, std::move(ack));
  st.subs.add(req, st.next_seq);
}

bool cursor_ahead(channel_ptr self, const history_query& q) {
  auto& st = self->state;
  return q.has_cursor && q.after.epoch == st.args.epoch && q.after.seq > last_seq(st);
}

history_page read_history(channel_ptr self, const history_query& q) {
  auto& st = self->state;
  history_page page;
  auto head = last_seq(st);
  std::uint64_t after = 0;
  if (q.has_cursor) {
    if (q.after.epoch == st.args.epoch) {
      after = q.after.seq;
      auto first = st.history->first_seq();
      page.recovered = st.history->size() == 0 || after + 1 >= first;
    } else {
      page.recovered = false; // an older incarnation of this channel
    }
  }
  page.events = st.history->read_after(after, q.limit);
  // A page also stops before history.max_page_bytes of events (one larger event still makes a
  // page, so reading always progresses): a reply is bounded whatever the events' size, and
  // next_cursor / has_more continue from its last event.
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < page.events.size(); ++i) {
    bytes += page.events[i]->rest_json.size() + 1;
    if (i > 0 && bytes > st.args.cfg->history_max_page_bytes) {
      page.events.resize(i);
      break;
    }
  }
  if (!page.events.empty())
    page.next_cursor = page.events.back()->id;
  else // nothing new: the caller's position, or the head when it had none
    page.next_cursor = format_cursor({st.args.epoch, after > 0 ? after : head});
  page.has_more = !page.events.empty() && page.events.back()->ev.seq < head;
  return page;
}

void answer_history(channel_ptr self, const history_request& req) {
  if (cursor_ahead(self, req.query))
    return req.done->fail(errc::bad_cursor, "cursor is ahead of the channel");
  req.done->complete(read_history(self, req.query));
}

void handle_publish(channel_ptr self, publish_cmd& cmd, const publish_completion& done) {
  auto& st = self->state;
  if (!ready(self)) {
    st.stash.push_back([self, cmd, done]() mutable { handle_publish(self, cmd, done); });
    return;
  }
  if (st.owner) // a relay: the owner node sequences
    return forward_to_owner(self, st.owner, st.timeout, std::move(cmd), done);
  complete_publish(self, done, publish(self, cmd));
}

channel_actor::behavior_type channel_behavior(channel_ptr self, channel_args args) {
  auto& st = self->state;
  st.ns = args.cfg->namespace_for(args.name);
  st.history = make_memory_history(st.ns.history_size);
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
  if (st.args.owner) {
    st.owner = st.args.owner;
    st.synced = false;
    send_follow(self);
  } else {
    adopt(self);
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
        self->state.stash.push_back([self, req]() mutable { subscribe(self, req); });
        return;
      }
      subscribe(self, req);
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
      for (auto& item : items)
        handle_publish(self, item.cmd, item.done);
    },
    [self, touch](history_atom, const history_request& req) {
      touch();
      if (!ready(self))
        return self->state.stash.push_back([self, req] { answer_history(self, req); });
      answer_history(self, req);
    },
    [self, idle_ms](tick_atom) {
      auto& st = self->state;
      // Kept alive by local sessions, by relays on other nodes, and, on a replica, by being a
      // replica: a replica that retired while its owner lives would leave publishes
      // acknowledged with one copy fewer. A replica of a channel without events keeps nothing.
      bool empty = unused(st);
      bool needed = !st.subs.empty() || !st.relays.empty()
                    || (st.owner && st.args.replica && !empty);
      if (st.retirement.report_due(needed, empty ? st.args.cfg->channel_empty_idle_ms : idle_ms))
        self->send(st.args.directory, idle_atom::value, st.args.name, st.retirement.handled());
      self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
    },
    [self](flush_atom) { flush(self); },
    [self](unused_atom) { on_unused_check(self); },
    [self](retire_atom) { self->quit(); },
    // -- cluster --
    [self, touch](follow_atom, const follow_request& req) {
      touch();
      auto& st = self->state;
      if (st.owner) // not the owner (any more): pass the relay on to the owner
        return self->send(st.owner, follow_atom::value, req);
      if (st.adopting)
        return st.stash.push_back([self, req] { add_relay(self, req); });
      add_relay(self, req);
    },
    [self](sync_atom, const follow_sync& sync) { on_sync(self, sync); },
    [self](replicate_atom, const std::vector<event>& events) -> std::uint64_t {
      return on_replicated(self, events);
    },
    [self, touch](fetch_atom, const fetch_request& req) -> follow_sync {
      touch(); // forwarded (and counted) by the directory, like every request
      auto sync = make_sync(self, {}, false);
      if (req.new_owner && req.new_owner != self->state.owner)
        follow(self, req.new_owner);
      return sync;
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
      if (st.owner)
        send_follow(self);
    },
    [self](retry_atom, std::uint64_t generation) {
      auto& st = self->state;
      if (st.owner && st.awaiting_sync && generation == st.follow_generation)
        send_follow(self);
    },
  };
}

} // namespace

channel_actor spawn_channel(caf::actor_system& sys, channel_args args) {
  return sys.spawn(channel_behavior, std::move(args));
}

} // namespace sy
