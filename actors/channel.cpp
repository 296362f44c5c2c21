#include "actors/channel.hpp"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "actors/history_store.hpp"
#include "actors/idempotency_window.hpp"
#include "actors/retirement_clock.hpp"
#include "actors/subscriber_set.hpp"

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
  retirement_clock retirement;
  std::vector<event_ptr> pending; // published, not yet fanned out
  bool flush_scheduled = false;
  std::chrono::steady_clock::time_point last_flush{};

  static inline const char* name = "channel";
};

using channel_ptr = channel_actor::stateful_pointer<channel_state>;

std::uint64_t last_seq(const channel_state& st) {
  return st.next_seq - 1;
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

void flush(channel_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  st.last_flush = std::chrono::steady_clock::now();
  if (st.pending.empty())
    return;
  auto all = std::make_shared<const std::vector<event_ptr>>(std::move(st.pending));
  st.pending.clear();
  st.subs.fan_out(all, [self](const subscriber_set::member& m, const event_batch& batch,
                              std::uint32_t offset) {
    self->send(m.session, deliver_atom::value, m.sub_id, batch, offset);
  });
  for (const auto& p : st.patterns) // one message per pattern per burst, not per subscriber
    self->send(p, deliver_atom::value, all);
}

publish_result publish(channel_ptr self, publish_cmd& cmd) {
  auto& st = self->state;
  auto now = wall_clock_ms();
  if (!cmd.idempotency_key.empty())
    if (auto prior = st.idempotency->find(cmd.idempotency_key, now))
      return {prior, true};
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
    st.idempotency->remember(ev->ev.idempotency_key, ev, now);
  // Nobody to fan out to: no flush (a REST-only channel schedules no timer per window). A
  // later subscriber would not get this event live anyway: its from_seq starts after it.
  if (!st.subs.empty() || !st.patterns.empty()) {
    st.pending.push_back(ev);
    schedule_flush(self);
  }
  return {ev, false};
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
  if (!page.events.empty())
    page.next_cursor = page.events.back()->id;
  else // nothing new: the caller's position, or the head when it had none
    page.next_cursor = format_cursor({st.args.epoch, after > 0 ? after : head});
  page.has_more = !page.events.empty() && page.events.back()->ev.seq < head;
  return page;
}

channel_actor::behavior_type channel_behavior(channel_ptr self, channel_args args) {
  auto& st = self->state;
  st.ns = args.cfg->namespace_for(args.name);
  st.history = make_memory_history(st.ns.history_size);
  st.idempotency = std::make_unique<idempotency_window>(args.cfg->idempotency_window_ms,
                                                        args.cfg->idempotency_max_keys);
  auto idle_ms = args.cfg->channel_idle_ms;
  st.args = std::move(args);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (st.subs.remove(dm.source))
      return;
    st.patterns.erase(std::remove_if(st.patterns.begin(), st.patterns.end(),
                                     [&](const pattern_actor& p) {
                                       return p.address() == dm.source;
                                     }),
                      st.patterns.end());
  });
  self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
  auto touch = [self] {
    self->state.retirement.on_directory_message();
  };
  return {
    [self, touch](publish_atom, publish_cmd& cmd) -> publish_result {
      touch();
      return publish(self, cmd);
    },
    [self, touch](subscribe_atom, sub_request& req) {
      touch();
      subscribe(self, req);
    },
    [self](unsubscribe_atom, const caf::actor_addr& who, std::uint32_t sub_id) {
      // A newer subscription of the same session may have replaced this one: keep that.
      if (!self->state.subs.remove(who, sub_id))
        return;
      self->demonitor(who);
      self->state.retirement.touch();
    },
    [self](attach_atom, pattern_actor& p) {
      self->monitor(p);
      self->state.patterns.push_back(std::move(p));
    },
    [self, touch](history_atom, const history_query& q) -> caf::result<history_page> {
      touch();
      if (cursor_ahead(self, q))
        return caf::make_error(caf::sec::invalid_argument, "cursor is ahead of the channel");
      return read_history(self, q);
    },
    [self, touch](publish_atom, publish_items& items) {
      touch();
      for (auto& item : items)
        item.done->complete(publish(self, item.cmd));
    },
    [self, touch](history_atom, const history_query& q, const history_completion& done) {
      touch();
      if (cursor_ahead(self, q))
        return done->fail("bad_cursor", "cursor is ahead of the channel");
      done->complete(read_history(self, q));
    },
    [self, idle_ms](tick_atom) {
      auto& st = self->state;
      if (st.retirement.report_due(!st.subs.empty(), idle_ms))
        self->send(st.args.directory, idle_atom::value, st.args.name, st.retirement.handled());
      self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
    },
    [self](flush_atom) { flush(self); },
    [self](retire_atom) { self->quit(); },
  };
}

} // namespace

channel_actor spawn_channel(caf::actor_system& sys, channel_args args) {
  return sys.spawn(channel_behavior, std::move(args));
}

} // namespace sy
