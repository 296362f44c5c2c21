// The channel with a durable store (storage.engine = rocksdb, DURABILITY.md): it loads its
// place, receipts and recent events before serving, and acknowledges a publish only once the
// store has written it. Without a store none of this runs.
#include "actors/channel_state.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "actors/log_line.hpp"

namespace sy::channel_impl {

namespace {

// A store page stops before this many stored bytes; the tail is read in pages until done.
constexpr std::uint64_t load_page_bytes = 16u << 20;

std::size_t keep_count(const channel_state& st) {
  return std::max<std::size_t>(st.ns.history_size, 1);
}

void finish_loading(channel_ptr self) {
  auto& st = self->state;
  st.loading = false;
  note_stored(self);
  run_stash(self); // in arrival order: publishes queue, reads and subscribes are answered
  start_append(self);
  check_unused_soon(self);
}

// The store cannot be read: the channel serves reads from what it holds (nothing) and refuses
// publishes, which could otherwise reuse stored seqs. A later incarnation tries again.
void load_failed(channel_ptr self, const caf::error& err) {
  auto& st = self->state;
  log_record(spdlog::level::err, "store.error", "store error: cannot load a channel",
             {{"channel", st.args.name}, {"error", self->system().render(err)}});
  st.store_failed = true;
  st.load_failed_at = std::chrono::steady_clock::now();
  finish_loading(self);
}

// Reads the stored events after `after` into the hot tail, a page at a time.
void read_tail(channel_ptr self, std::uint64_t after) {
  auto& st = self->state;
  store_read r;
  r.channel = st.args.name;
  r.after_seq = after;
  r.limit = static_cast<std::uint32_t>(std::min<std::size_t>(keep_count(st), UINT32_MAX));
  r.max_bytes = load_page_bytes;
  self->request(st.args.store, caf::infinite, st_read_atom::value, std::move(r))
    .then(
      [self](store_page& page) {
        auto& st = self->state;
        auto cutoff = ttl_cutoff_ms(st, wall_clock_ms());
        std::uint64_t expired = 0; // expired events are not loaded, and leave the store
        for (auto& e : page.events) {
          if (e.timestamp_ms < cutoff)
            expired = std::max(expired, e.seq);
          else if (e.seq < st.next_seq
                   && (st.history->size() == 0 || e.seq > st.history->last_seq()))
            st.history->append(std::make_shared<const encoded_event>(encode_event(std::move(e))));
        }
        trim_store_through(self, expired);
        auto last_read = page.events.empty() ? 0 : page.events.back().seq;
        if (page.has_more && last_read > 0 && last_read + 1 < st.next_seq)
          return read_tail(self, last_read);
        finish_loading(self);
      },
      [self](const caf::error& err) { load_failed(self, err); });
}

void on_loaded(channel_ptr self, store_channel_state& s) {
  auto& st = self->state;
  if (!s.found) // a new channel: the directory's epoch, seqs from 1
    return finish_loading(self);
  st.args.epoch = s.meta.epoch;
  st.next_seq = s.meta.next_seq;
  // The window keeps keys in time order: remember them by expiry, each with the time its
  // window started, so each ends when its stored receipt does.
  std::sort(s.receipts.begin(), s.receipts.end(),
            [](const auto& a, const auto& b) { return a.expires_ms < b.expires_ms; });
  auto window_ms = st.args.cfg->idempotency_window_ms;
  for (auto& r : s.receipts) {
    event e;
    e.seq = r.seq;
    e.timestamp_ms = r.timestamp_ms;
    e.type = std::move(r.type);
    e.correlation_id = std::move(r.correlation_id);
    st.idempotency->remember(r.key, e, r.expires_ms - window_ms);
  }
  auto last = last_seq(st);
  st.store_trimmed = s.first_seq > 0 ? s.first_seq - 1 : last;
  auto keep = keep_count(st);
  auto after = std::max<std::uint64_t>(last > keep ? last - keep : 0, st.store_trimmed);
  if (after >= last)
    return finish_loading(self);
  read_tail(self, after);
}

// The store holds at most about twice history.size events of a channel: it trims in steps of
// history.size (one range delete each), not after every append.
void trim_store(channel_ptr self) {
  auto& st = self->state;
  auto keep = keep_count(st);
  auto last = last_seq(st);
  if (last <= keep || last - keep <= st.store_trimmed || last - keep - st.store_trimmed < keep)
    return; // (a TTL trim may have gone further already)
  st.store_trimmed = last - keep;
  self->request(st.args.store, caf::infinite, st_trim_atom::value,
                store_trim{st.args.name, st.store_trimmed})
    .then([](const store_written&) {}, [](const caf::error&) {}); // retried by the next trim
}

using done_list = std::vector<std::pair<publish_completion, publish_result>>;

// At most this many appends of one channel are with the store at once. Two already let the
// store write a channel's next publishes while its current batch syncs; more let each publish
// message go at once instead of waiting in `queued`.
constexpr std::size_t max_appends_in_flight = 8;

// An append was answered: the reads and subscribes waiting for it run, in arrival order.
void answered(channel_ptr self, std::size_t publishes) {
  auto& st = self->state;
  st.publishes_answered += publishes;
  while (!st.after_publishes.empty()
         && st.after_publishes.front().first <= st.publishes_answered) {
    auto work = std::move(st.after_publishes.front().second);
    st.after_publishes.pop_front();
    work();
  }
}

// The oldest append in flight leaves the queue; its keys are no longer unstored.
channel_state::append_in_flight take_oldest_append(channel_state& st) {
  auto a = std::move(st.appends.front());
  st.appends.pop_front();
  st.unstored_events -= a.events.size();
  for (const auto& ev : a.events)
    if (!ev->ev.idempotency_key.empty())
      st.unstored_keys.erase(ev->ev.idempotency_key);
  return a;
}

// The oldest append is written: its events enter the hot tail, the idempotency window and the
// next flush (fan-out), and its publishes are acknowledged.
void on_written(channel_ptr self) {
  auto& st = self->state;
  auto a = take_oldest_append(st);
  expire_history(self);
  for (const auto& ev : a.events) {
    st.history->append(ev);
    if (!ev->ev.idempotency_key.empty())
      st.idempotency->remember(ev->ev.idempotency_key, ev->ev, ev->ev.timestamp_ms);
  }
  st.next_seq = a.events.back()->ev.seq + 1;
  note_stored(self);
  if (has_audience(st)) {
    st.pending.insert(st.pending.end(), a.events.begin(), a.events.end());
    schedule_flush(self);
  }
  for (const auto& [d, r] : a.done) {
    if (!r.duplicate && d->after_delivery() && !st.pending.empty())
      st.after_fanout.emplace_back(d, r); // completed by the flush, after the fan-out
    else
      d->complete(r);
  }
  answered(self, a.done.size());
  trim_store(self);
  start_append(self);
}

// Nothing of the oldest append is stored: its publishes fail (a duplicate of an event stored
// before still gets its answer), nothing is delivered, and its seqs go to the next append
// once the appends sent after it (refused by the store) are answered too.
void on_failed(channel_ptr self, const caf::error& err) {
  auto& st = self->state;
  auto a = take_oldest_append(st);
  if (!st.append_failed) {
    st.append_failed = true;
    auto why = store_error_text(err);
    log_record(spdlog::level::err, "store.error", "store error: publishes refused",
               {{"channel", st.args.name},
                {"refused", a.done.size()},
                {"error", why.empty() ? self->system().render(err) : why}});
  }
  for (const auto& [d, r] : a.done) {
    if (r.duplicate && r.ev->ev.seq < st.next_seq) // stored before: next_seq counts written ones
      d->complete(r);
    else
      d->fail(errc::insufficient_storage, "the event could not be stored");
  }
  answered(self, a.done.size());
  if (st.appends.empty()) { // the last refused one: sequence again after what is stored
    st.append_failed = false;
    st.append_generation++;
  }
  start_append(self);
}

} // namespace

bool store_busy(const channel_state& st) {
  return st.loading || !st.appends.empty() || !st.queued.empty() || !st.after_publishes.empty()
         || st.reads_in_flight > 0;
}

void start_loading(channel_ptr self) {
  auto& st = self->state;
  st.loading = true;
  self->request(st.args.store, caf::infinite, st_load_atom::value,
                store_load{st.args.name, wall_clock_ms()})
    .then([self](store_channel_state& s) { on_loaded(self, s); },
          [self](const caf::error& err) { load_failed(self, err); });
}

void queue_publish(channel_ptr self, publish_cmd& cmd, const publish_completion& done) {
  auto& st = self->state;
  if (st.store_failed) {
    // The store may be readable again (a transient I/O error): a publish at least a second
    // after the failure loads again and waits for it; sooner ones are refused, so a store
    // that stays broken is not read in a loop.
    if (std::chrono::steady_clock::now() - st.load_failed_at < std::chrono::seconds(1))
      return done->fail(errc::insufficient_storage, "the channel's stored state cannot be read");
    st.store_failed = false;
    start_loading(self);
    st.stash.push_back([self, cmd = std::move(cmd), done]() mutable {
      handle_publish(self, cmd, done);
    });
    return;
  }
  st.queued.push_back({std::move(cmd), done});
  st.publishes_taken++;
}

void after_earlier_publishes(channel_ptr self, std::function<void()> work) {
  auto& st = self->state;
  if (st.publishes_answered >= st.publishes_taken && st.after_publishes.empty())
    return work();
  st.after_publishes.emplace_back(st.publishes_taken, std::move(work));
}

// Sequences the queued publishes (idempotency first: against the stored window, the appends
// in flight and this batch) and sends their events as one append; the store's group commit
// joins it with other appends, the channel's own earlier ones included.
void start_append(channel_ptr self) {
  auto& st = self->state;
  if (st.queued.empty() || st.append_failed || st.appends.size() >= max_appends_in_flight)
    return;
  auto work = std::move(st.queued);
  st.queued.clear();
  auto now = wall_clock_ms();
  auto window_ms = st.args.cfg->idempotency_window_ms;
  store_append a;
  a.channel = st.args.name;
  a.epoch = st.args.epoch;
  a.generation = st.append_generation + 1; // 0 means "not checked" to the store
  done_list done;
  done.reserve(work.size());
  auto seq = st.next_seq + st.unstored_events;
  for (auto& q : work) {
    const auto& key = q.cmd.idempotency_key;
    if (!key.empty()) {
      if (auto* prior = st.idempotency->find(key, now)) {
        done.emplace_back(q.done, publish_result{original_event(st, *prior, key), true});
        continue;
      }
      if (auto it = st.unstored_keys.find(key); it != st.unstored_keys.end()) {
        done.emplace_back(q.done, publish_result{it->second, true}); // once its original is
        continue;
      }
    }
    auto ev = new_event(st, q.cmd, seq++, now);
    if (!ev->ev.idempotency_key.empty()) {
      st.unstored_keys.emplace(ev->ev.idempotency_key, ev);
      a.receipts.push_back({ev->ev.idempotency_key, ev->ev.seq, ev->ev.timestamp_ms,
                            ev->ev.type, ev->ev.correlation_id, now + window_ms});
    }
    a.events.push_back(ev);
    done.emplace_back(q.done, publish_result{ev, false});
  }
  if (a.events.empty()) { // only duplicates: answered after the publishes taken before them
    if (st.appends.empty()) {
      for (const auto& [d, r] : done)
        d->complete(r);
      return answered(self, done.size());
    }
    auto& last = st.appends.back().done;
    last.insert(last.end(), done.begin(), done.end());
    return;
  }
  a.next_seq = seq;
  st.unstored_events += a.events.size();
  st.appends.push_back({a.events, std::move(done)}); // shared events: the store holds them too
  self->request(st.args.store, caf::infinite, st_append_atom::value, std::move(a))
    .then([self](const store_written&) { on_written(self); },
          [self](const caf::error& err) { on_failed(self, err); });
}

} // namespace sy::channel_impl

// -- events sequenced elsewhere (cluster: relays, adoption) -------------------------------------

namespace sy::channel_impl {

void store_sequenced(channel_ptr self, std::vector<event_ptr> events,
                     std::vector<store_receipt> older_receipts, bool replace,
                     std::function<void(const caf::error&)> then) {
  auto& st = self->state;
  if (replace) { // sent first: the store writes in arrival order, so the append lands after it
    st.store_trimmed = 0;
    self->request(st.args.store, caf::infinite, st_drop_atom::value, store_drop{st.args.name})
      .then([](const store_written&) {}, [](const caf::error&) {}); // the append reports
  }
  store_append a;
  a.channel = st.args.name;
  a.epoch = st.args.epoch;
  a.next_seq = st.next_seq;
  // The owner's receipt expiry is its publish time + the window: the same here.
  a.receipts = std::move(older_receipts);
  auto window_ms = st.args.cfg->idempotency_window_ms;
  for (const auto& ev : events)
    if (!ev->ev.idempotency_key.empty())
      a.receipts.push_back({ev->ev.idempotency_key, ev->ev.seq, ev->ev.timestamp_ms,
                            ev->ev.type, ev->ev.correlation_id,
                            ev->ev.timestamp_ms + window_ms});
  a.events = std::move(events);
  st.sequenced_writes++;
  self->request(st.args.store, caf::infinite, st_append_atom::value, std::move(a))
    .then(
      [self, then](const store_written&) {
        self->state.sequenced_writes--;
        trim_store(self);
        then(caf::error{});
      },
      [self, then](const caf::error& err) {
        auto& st = self->state;
        st.sequenced_writes--;
        auto why = store_error_text(err);
        log_record(spdlog::level::err, "store.error",
                   "store error: events sequenced by the owner not stored",
                   {{"channel", st.args.name},
                    {"error", why.empty() ? self->system().render(err) : why}});
        // A relay resyncs from scratch (its store would keep a hole otherwise), after the
        // request timeout, so a full disk costs one sync per period, not one per burst.
        st.store_behind = true;
        if (st.owner && !st.awaiting_sync) {
          st.awaiting_sync = true;
          self->delayed_send(self, st.timeout, retry_atom::value, ++st.follow_generation);
        }
        then(err);
      });
}

} // namespace sy::channel_impl
