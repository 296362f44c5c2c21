// A change-data source's connection, retries and standby status updates; the stream's messages
// are handled in actors/source_stream.cpp.
#include "actors/source.hpp"

#include <algorithm>

#include "actors/log_line.hpp"
#include "actors/source_state.hpp"

namespace sy {

namespace {

constexpr auto status_every = std::chrono::milliseconds(100); // confirm at most this often
constexpr auto status_idle = std::chrono::seconds(10);        // ... and at least this often
constexpr auto base_backoff = std::chrono::milliseconds(500);
// Socket wait when the queue is empty, also while changes are in flight: their acks wait in the
// mailbox meanwhile, which delays only confirmations (sent at most every 100 ms anyway); a new
// change wakes the poll at once. Polling without waiting while changes were in flight spun this
// thread: at 1,000 one-row transactions/s it took ~750 µs CPU per change (twice the REST route's)
// and, on 2 shared cores, pushed commit -> delivery p99 to ~100 ms (BENCHMARKS.md scenario 9).
constexpr int poll_wait_ms = 50;
constexpr std::size_t poll_batch = 4096; // CopyData messages read per pump at most

void set_state(source_ptr self, metrics::source_state s) {
  self->state.state = s;
  self->state.gauges->state.store(static_cast<std::uint8_t>(s), std::memory_order_relaxed);
}

pg::session_options session_options_of(const source_config& c) {
  pg::session_options o;
  o.dsn = c.dsn;
  o.publication = c.publication;
  o.slot = c.slot;
  o.tables = c.tables;
  o.create_publication = c.create_publication;
  o.create_slot = c.create_slot;
  return o;
}

void update_gauges(source_ptr self) {
  auto& st = self->state;
  auto& g = *st.gauges;
  g.received_lsn.store(st.progress.received(), std::memory_order_relaxed);
  g.confirmed_lsn.store(st.sent_flush, std::memory_order_relaxed);
  auto lag = st.server_lsn > st.sent_flush ? st.server_lsn - st.sent_flush : 0;
  g.lag_bytes.store(lag, std::memory_order_relaxed);
  auto oldest = st.progress.oldest_unconfirmed_ms();
  g.lag_ms.store(oldest > 0 ? std::max<std::int64_t>(0, wall_clock_ms() - oldest) : 0,
                 std::memory_order_relaxed);
  bool alert = lag > st.args.cfg.max_lag_bytes;
  if (alert != st.lag_alert) {
    st.lag_alert = alert;
    g.lag_alert.store(alert ? 1 : 0, std::memory_order_relaxed);
    // The slot is never dropped for lag: PostgreSQL keeps the WAL, the operator decides.
    log_record(alert ? spdlog::level::warn : spdlog::level::info, "source.lag",
               alert ? "source lag over max_lag_bytes" : "source lag back under max_lag_bytes",
               {{"source", st.args.cfg.id},
                {"lag_bytes", lag},
                {"max_lag_bytes", st.args.cfg.max_lag_bytes}});
  }
  auto now = steady::now();
  if (now - st.window_start >= std::chrono::seconds(5)) {
    auto secs = std::chrono::duration<double>(now - st.window_start).count();
    st.changes_per_s = static_cast<double>(st.changes - st.window_changes) / secs;
    st.window_changes = st.changes;
    st.window_start = now;
  }
}

void try_start(source_ptr self) {
  auto& st = self->state;
  set_state(self, metrics::source_state::connecting);
  auto session = std::make_unique<pg::replication_session>();
  if (auto err = session->start(session_options_of(st.args.cfg)); err) {
    fail_stream(self, err);
    return;
  }
  st.session = std::move(session);
  ++st.generation;
  st.progress = source_progress{};
  st.relations.clear();
  st.queue.clear();
  st.batch = publish_request{};
  st.flight_channel.clear();
  st.blocked = false;
  st.sent_flush = st.session->slot_confirmed_at_start(); // lag is measured from here
  st.server_lsn = std::max(st.server_lsn, st.sent_flush);
  st.attempt = 0;
  st.last_status = steady::now();
  st.error_code.clear(); // GET /v1/sources shows failures since the stream last started
  st.error_message.clear();
  st.error_at_ms = 0;
  st.gauges->last_failure.store(0, std::memory_order_relaxed);
  set_state(self, metrics::source_state::streaming);
  log_record(spdlog::level::info, "source.streaming", "source streaming",
             {{"source", st.args.cfg.id},
              {"slot", st.args.cfg.slot},
              {"publication", st.args.cfg.publication}});
}

void pump(source_ptr self) {
  auto& st = self->state;
  st.pump_pending = false;
  if (!st.session) {
    auto now = steady::now();
    if (now < st.retry_at) {
      st.pump_pending = true;
      self->delayed_send(self, st.retry_at - now, pump_atom::value);
      return;
    }
    try_start(self);
    if (!st.session)
      return; // fail_stream scheduled the next attempt
  }
  pg::session_error err;
  if (!handle_queue(self, err)) {
    send_batch(self);
    return fail_stream(self, err);
  }
  if (!st.blocked && st.queue.empty()) {
    send_batch(self); // before waiting: what was handled must not wait for the socket
    err = st.session->poll(poll_wait_ms, poll_batch,
                           [&st](std::string_view m) { st.queue.emplace_back(m); });
    if (err)
      return fail_stream(self, err);
    if (!handle_queue(self, err)) {
      send_batch(self);
      return fail_stream(self, err);
    }
  }
  send_batch(self);
  maybe_send_status(self);
  update_gauges(self);
  if (!st.session)
    return;
  schedule_pump(self);
}

} // namespace

void schedule_pump(source_ptr self) {
  auto& st = self->state;
  if (st.pump_pending || st.blocked || !st.session)
    return;
  st.pump_pending = true;
  self->send(self, pump_atom::value);
}

void maybe_send_status(source_ptr self, bool force) {
  auto& st = self->state;
  if (!st.session)
    return;
  auto now = steady::now();
  auto flush = st.progress.confirmable();
  bool moved = flush > st.sent_flush && now - st.last_status >= status_every;
  if (!(force || moved || st.reply_requested || now - st.last_status >= status_idle))
    return;
  flush = std::max(flush, st.sent_flush);
  if (auto err = st.session->send_status(flush, flush, flush, false); err)
    return fail_stream(self, err);
  st.sent_flush = flush;
  st.reply_requested = false;
  st.last_status = now;
}

void fail_stream(source_ptr self, const pg::session_error& err) {
  auto& st = self->state;
  if (st.session)
    st.session->close();
  st.session.reset();
  ++st.generation; // acks still on their way belong to the stream that is gone
  st.progress = source_progress{};
  st.queue.clear();
  st.batch = publish_request{};
  st.blocked = false;
  ++st.failures;
  st.gauges->failures.store(st.failures, std::memory_order_relaxed);
  st.error_code = std::string(pg::failure_name(err.kind));
  st.gauges->last_failure.store(static_cast<std::uint8_t>(err.kind), std::memory_order_relaxed);
  st.error_message = err.message;
  st.error_at_ms = wall_clock_ms();
  auto backoff = std::min<std::int64_t>(
    st.args.cfg.retry_max_ms,
    base_backoff.count() << std::min<std::uint32_t>(st.attempt, 16));
  // A slot held by another connection is usually a node that just lost the source (or whose
  // connection PostgreSQL has not closed yet): ask again soon rather than backing off far.
  if (err.kind == pg::failure::slot_active)
    backoff = std::min<std::int64_t>(backoff, 1000);
  ++st.attempt;
  st.retry_at = steady::now() + std::chrono::milliseconds(backoff);
  set_state(self, metrics::source_state::retrying);
  log_record(spdlog::level::warn, "source.error", "source failed, retrying",
             {{"source", st.args.cfg.id},
              {"error", st.error_code},
              {"message", err.message},
              {"retry_in_ms", backoff}});
  if (!st.pump_pending) {
    st.pump_pending = true;
    self->delayed_send(self, std::chrono::milliseconds(backoff), pump_atom::value);
  }
}

namespace {

source_row row_of(source_ptr self) {
  auto& st = self->state;
  update_gauges(self);
  source_row r;
  r.id = st.args.cfg.id;
  r.node = st.args.node_id;
  r.state = metrics::source_state_name(st.state);
  r.error_code = st.error_code;
  r.error_message = st.error_message;
  r.error_at_ms = st.error_at_ms;
  r.received_lsn = st.progress.received();
  r.confirmed_lsn = st.sent_flush;
  r.server_lsn = st.server_lsn;
  r.lag_ms = st.gauges->lag_ms.load(std::memory_order_relaxed);
  r.changes = st.changes;
  r.changes_per_s = st.changes_per_s;
  r.in_flight = st.progress.in_flight();
  r.failures = st.failures;
  r.lag_alert = st.lag_alert;
  if (!st.session) {
    auto left = st.retry_at - steady::now();
    r.retry_in_ms =
      std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(left).count());
  }
  return r;
}

source_actor::behavior_type source_behavior(source_ptr self, source_args args) {
  self->state.args = std::move(args);
  self->state.gauges = &metrics::source_row(self->state.args.index);
  self->state.pump_pending = true;
  self->send(self, pump_atom::value);
  // Stopped (moved to another node, or shutdown): the state's destructor closes the stream,
  // which frees the slot for the node that takes the source over.
  self->attach_functor([g = self->state.gauges] {
    g->state.store(static_cast<std::uint8_t>(metrics::source_state::elsewhere),
                   std::memory_order_relaxed);
  });
  return {
    [=](pump_atom) { pump(self); },
    [=](srcack_atom, std::uint64_t generation, std::uint64_t ticket, bool ok) {
      change_stored(self, generation, ticket, ok);
    },
    [=](srcstat_atom) { return row_of(self); },
  };
}

} // namespace

source_actor spawn_source(caf::actor_system& sys, source_args args) {
  return sys.spawn<caf::detached>(source_behavior, std::move(args));
}

} // namespace sy
