// The channel on its own node: sequence, history, idempotency, fan-out, subscribe, history
// reads, and retiring a channel that never held an event.
#include "actors/channel_state.hpp"

#include "actors/owner_forward.hpp"

namespace sy::channel_impl {

namespace {

publish_result publish(channel_ptr self, publish_cmd& cmd) {
  auto& st = self->state;
  auto now = wall_clock_ms();
  if (!cmd.idempotency_key.empty())
    if (auto* prior = st.idempotency->find(cmd.idempotency_key, now))
      return {original_event(st, *prior, cmd.idempotency_key), true};
  auto ev = new_event(st, cmd, st.next_seq++, now);
  expire_history(self);
  st.history->append(ev);
  if (!ev->ev.idempotency_key.empty())
    st.idempotency->remember(ev->ev.idempotency_key, ev->ev, now);
  note_stored(self);
  // Nobody to fan out to: no flush (a REST-only channel schedules no timer per window). A
  // later subscriber would not get this event live anyway: its from_seq starts after it.
  // Relays (replicas) and other nodes' patterns are somebody too.
  if (has_audience(st)) {
    st.pending.push_back(ev);
    schedule_flush(self);
  }
  return {ev, false};
}

// Completes a publish now (single node) or with its burst once the replicas have it.
void complete_publish(channel_ptr self, const publish_completion& done, publish_result r) {
  auto& st = self->state;
  if (r.duplicate || (replicas_waited_for(st) == 0 && st.inflight.empty())) {
    if (!r.duplicate && done->after_delivery() && !st.pending.empty())
      st.after_fanout.emplace_back(done, std::move(r)); // completed by the flush
    else
      done->complete(r);
    return;
  }
  st.pending_done.emplace_back(done, std::move(r));
}

bool cursor_ahead(channel_ptr self, const history_query& q) {
  auto& st = self->state;
  return q.has_cursor && q.after.epoch == st.args.epoch && q.after.seq > last_seq(st);
}

// A page of the events after the query's cursor (or from the oldest kept), read from the hot
// tail and, with a store, from disk for what the tail no longer holds.
void read_history(channel_ptr self, const history_query& q, const history_completion& done) {
  auto& st = self->state;
  auto oldest = oldest_kept(st);
  std::uint64_t after = 0;
  bool recovered = true;
  if (q.has_cursor) {
    if (q.after.epoch == st.args.epoch) {
      after = q.after.seq;
      recovered = after + 1 >= oldest;
    } else {
      recovered = false; // an older incarnation of this channel
    }
  }
  auto from = std::max<std::uint64_t>(after, oldest - 1);
  auto max_bytes = st.args.cfg->history_max_page_bytes;
  read_events(self, from, q.limit, max_bytes,
              [self, done, after, from, recovered](std::vector<event_ptr> events) {
                auto& st = self->state;
                auto head = last_seq(st);
                history_page page;
                // Nothing after the cursor while the head is past it: those events are gone
                // (expired in the store, channel_ttl.cpp).
                page.recovered = recovered && (events.empty() ? from >= head
                                                              : events.front()->ev.seq == from + 1);
                page.events = std::move(events);
                // A page also stops before history.max_page_bytes of events (one larger event
                // still makes a page, so reading always progresses): a reply is bounded
                // whatever the events' size, and next_cursor / has_more continue from its last
                // event.
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
                done->complete(std::move(page));
              });
}

} // namespace

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

event_ptr new_event(const channel_state& st, publish_cmd& cmd, std::uint64_t seq,
                    std::int64_t now_ms) {
  event e;
  e.channel = st.args.name;
  e.epoch = st.args.epoch;
  e.seq = seq;
  e.timestamp_ms = cmd.source_time_ms > 0 ? cmd.source_time_ms : now_ms;
  e.type = cmd.type.empty() ? "message" : std::move(cmd.type);
  e.data_json = std::move(cmd.data_json);
  e.metadata_json = std::move(cmd.metadata_json);
  e.metadata = std::move(cmd.metadata);
  e.idempotency_key = std::move(cmd.idempotency_key);
  e.correlation_id = std::move(cmd.correlation_id);
  return std::make_shared<const encoded_event>(encode_event(std::move(e)));
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

void flush(channel_ptr self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  st.last_flush = std::chrono::steady_clock::now();
  if (st.pending.empty())
    return;
  auto all = std::make_shared<const std::vector<event_ptr>>(std::move(st.pending));
  st.pending.clear();
  if (replicas_waited_for(st) > 0 || !st.inflight.empty()) {
    for (auto& waiting : st.after_fanout) // with the burst, as every publish of it
      st.pending_done.push_back(std::move(waiting));
    st.after_fanout.clear();
    return hold_for_replicas(self, std::move(all)); // completed and fanned out on their acks
  }
  // Single node, or no replica yet.
  for (auto& [done, result] : st.pending_done)
    done->complete(result);
  st.pending_done.clear();
  fan_out_local(self, all);
  feed_relays(self, all);
  for (auto& [done, result] : st.after_fanout)
    done->complete(result);
  st.after_fanout.clear();
}

void handle_publish(channel_ptr self, publish_cmd& cmd, const publish_completion& done) {
  auto& st = self->state;
  if (!ready(self)) {
    st.stash.push_back([self, cmd, done]() mutable { handle_publish(self, cmd, done); });
    return;
  }
  if (st.owner) // a relay: the owner node sequences
    return forward_to_owner(self, st.owner, st.timeout, std::move(cmd), done);
  if (st.args.store) // acknowledged once the store has it (channel_store.cpp)
    return queue_publish(self, cmd, done);
  complete_publish(self, done, publish(self, cmd));
}

// A resume replays from the cursor when it is still kept (recovered), else everything kept; a
// subscribe without a cursor gets the namespace's snapshot (the newest events).
void subscribe(channel_ptr self, const sub_request& req) {
  auto& st = self->state;
  expire_history(self);
  auto head = last_seq(st);
  auto oldest = oldest_kept(st);
  if (req.has_since) {
    bool same_epoch = req.since.epoch == st.args.epoch && req.since.seq <= head;
    bool recovered = same_epoch && req.since.seq + 1 >= oldest;
    auto from = recovered ? req.since.seq : oldest - 1;
    return read_events(self, from, SIZE_MAX, UINT64_MAX,
                       [self, req, from, recovered](std::vector<event_ptr> replay) {
                         // Contiguous from the cursor, or the client is told it is not.
                         bool whole = replay.empty() ? from == last_seq(self->state)
                                                     : replay.front()->ev.seq == from + 1;
                         register_subscriber(self, req, std::move(replay), recovered && whole);
                       });
  }
  if (st.ns.snapshot == 0 || head == 0)
    return register_subscriber(self, req, {}, false);
  auto from = std::max<std::uint64_t>(head > st.ns.snapshot ? head - st.ns.snapshot : 0,
                                      oldest - 1);
  read_events(self, from, SIZE_MAX, UINT64_MAX, [self, req](std::vector<event_ptr> replay) {
    auto n = self->state.ns.snapshot; // the newest ones when more arrived meanwhile
    if (replay.size() > n)
      replay.erase(replay.begin(), replay.end() - static_cast<std::ptrdiff_t>(n));
    register_subscriber(self, req, std::move(replay), false);
  });
}

// Replay and registration in the same turn: the ack (with the replay) is sent before any later
// live event, and CAF keeps per-sender order, so nothing is lost or repeated in between. Events
// still pending a flush are in the replay; from_seq keeps the flush from sending them again. A
// replay read from the store ends in this turn with the ring's events up to the head.
void register_subscriber(channel_ptr self, const sub_request& req, std::vector<event_ptr> replay,
                         bool recovered) {
  auto& st = self->state;
  // A re-subscribe replaces filter and cursor; the session is already monitored then.
  bool known = st.subs.contains(req.session.address());
  sub_ack ack;
  ack.sub_id = req.sub_id;
  ack.topic = st.args.name;
  ack.channel = self;
  ack.cursor = format_cursor({st.args.epoch, last_seq(st)});
  if (req.has_since) {
    ack.has_since = true;
    ack.recovered = recovered;
  } else if (st.ns.snapshot > 0) {
    ack.snapshot = true;
  }
  ack.replay = std::move(replay);
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

void answer_history(channel_ptr self, const history_request& req) {
  expire_history(self);
  if (cursor_ahead(self, req.query))
    return req.done->fail(errc::bad_cursor, "cursor is ahead of the channel");
  read_history(self, req.query, req.done);
}

// -- channels that never held an event ---------------------------------------------------------

// Nothing to keep and nobody to serve: no event ever, no subscriber, no relay following it, no
// cluster exchange under way. Such a channel exists only because somebody subscribed; it
// retires channel.empty_idle_ms after that ended, not channel.idle_ms.
bool unused(const channel_state& st) {
  return last_seq(st) == 0 && st.subs.empty() && st.relays.empty() && st.synced
         && !st.adopting && !st.awaiting_sync && st.stash.empty() && !store_busy(st);
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

} // namespace sy::channel_impl
