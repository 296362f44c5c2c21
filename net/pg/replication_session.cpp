#include "net/pg/replication_session.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "net/pg/pgoutput.hpp"
#include "net/pg/pq_bounded.hpp"
#include "net/pg/replication_commands.hpp"

namespace sy::pg {

namespace {

using namespace detail;
using steady = std::chrono::steady_clock;

// A status update flushes what the socket takes at once; what is left goes out with the next
// poll(). Bounded so a stalled server cannot hold the caller.
constexpr int flush_wait_ms = 100;
constexpr int flush_rounds = 10;

} // namespace

std::string_view failure_name(failure f) noexcept {
  switch (f) {
  case failure::none: return "none";
  case failure::unreachable: return "unreachable";
  case failure::auth_failed: return "auth_failed";
  case failure::permission: return "permission";
  case failure::wal_level: return "wal_level";
  case failure::publication_missing: return "publication_missing";
  case failure::slot_missing: return "slot_missing";
  case failure::slot_active: return "slot_active";
  case failure::bad_config: return "bad_config";
  case failure::protocol: return "protocol";
  case failure::disconnected: return "disconnected";
  }
  return "unknown";
}

std::string replication_conninfo(std::string_view dsn) {
  std::string extra_options = session_settings;
  bool uri = dsn.substr(0, 13) == "postgresql://" || dsn.substr(0, 11) == "postgres://";
  if (!uri)
    return std::string(dsn) + " replication=database options='" + extra_options + "'";
  // A URI takes further settings as percent-encoded query parameters.
  std::string encoded;
  for (char c : extra_options)
    encoded += c == ' ' ? std::string("%20") : c == '=' ? std::string("%3D") : std::string(1, c);
  std::string out(dsn);
  out += out.find('?') == std::string::npos ? '?' : '&';
  return out + "replication=database&options=" + encoded;
}

struct replication_session::impl {
  conn_ptr repl;
  bool streaming = false;
  lsn_t server_lsn = 0;
  lsn_t slot_confirmed = 0; // the slot's confirmed_flush_lsn when the stream started

  using budget = steady::duration;
  session_error checks(const session_options& o, budget step, bool& need_slot);
  session_error start_stream(const session_options& o, lsn_t start, bool need_slot, budget step);
  session_error stream_ended();
  session_error fail(session_error e) {
    repl.reset();
    streaming = false;
    return e;
  }
};

replication_session::replication_session() : impl_(std::make_unique<impl>()) {}
replication_session::~replication_session() = default;

bool replication_session::streaming() const noexcept { return impl_->streaming; }
lsn_t replication_session::server_lsn_at_start() const noexcept { return impl_->server_lsn; }
lsn_t replication_session::slot_confirmed_at_start() const noexcept {
  // A slot created by this session starts at the server's position.
  return impl_->slot_confirmed != 0 ? impl_->slot_confirmed : impl_->server_lsn;
}

void replication_session::close() {
  // PQfinish sends Terminate: the walsender ends and releases the slot.
  impl_->repl.reset();
  impl_->streaming = false;
}

session_error replication_session::start(const session_options& opts, lsn_t start) {
  close();
  if (!valid_slot_name(opts.slot))
    return {failure::bad_config, "slot name \"" + opts.slot +
                                   "\" is not valid: use 1-63 lower-case letters, digits, _"};
  if (opts.publication.empty())
    return {failure::bad_config, "no publication name"};
  // One budget per step: each connection and each statement gets the connect timeout.
  auto step = std::chrono::seconds(std::max(opts.connect_timeout_s, 1));
  bool need_slot = false;
  if (auto e = impl_->checks(opts, step, need_slot))
    return impl_->fail(std::move(e));
  if (auto e = impl_->start_stream(opts, start, need_slot, step))
    return impl_->fail(std::move(e));
  return {};
}

// On a plain connection: wal_level, the publication (created when allowed), the slot.
session_error replication_session::impl::checks(const session_options& o, budget step,
                                                bool& need_slot) {
  slot_confirmed = 0;
  session_error err;
  auto kw = conn_keywords(o, false, err);
  if (err)
    return err;
  conn_ptr c = connect(kw, steady::now() + step, err);
  if (!c)
    return err;
  auto wal = exec(c.get(), "SHOW wal_level", {}, steady::now() + step, failure::protocol, err);
  if (!wal)
    return err;
  std::string level = PQntuples(wal.get()) == 1 ? PQgetvalue(wal.get(), 0, 0) : "";
  if (level != "logical")
    return {failure::wal_level,
            "wal_level is '" + level +
              "'; logical replication needs wal_level=logical (ALTER SYSTEM SET wal_level = "
              "logical, then restart PostgreSQL)"};

  auto pub = exec(c.get(), "SELECT 1 FROM pg_publication WHERE pubname = $1", {o.publication},
                  steady::now() + step, failure::protocol, err);
  if (!pub)
    return err;
  if (PQntuples(pub.get()) == 0) {
    if (!o.create_publication)
      return {failure::publication_missing,
              "publication \"" + o.publication + "\" does not exist (create it, or let the "
                                                 "source create it)"};
    std::string sql = "CREATE PUBLICATION ";
    char* name = PQescapeIdentifier(c.get(), o.publication.data(), o.publication.size());
    if (!name)
      return {failure::bad_config, "publication name cannot be quoted"};
    sql += name;
    PQfreemem(name);
    if (o.tables.empty()) {
      sql += " FOR ALL TABLES";
    } else {
      sql += " FOR TABLE ";
      for (std::size_t i = 0; i < o.tables.size(); ++i) {
        if (i)
          sql += ", ";
        if (!quote_table(c.get(), o.tables[i], sql))
          return {failure::bad_config, "table name \"" + o.tables[i] + "\" is not valid"};
      }
    }
    session_error create_err;
    if (!exec(c.get(), sql, {}, steady::now() + step, failure::protocol, create_err) &&
        create_err.message.find("42710") == std::string::npos) // created meanwhile: fine
      return create_err;
  }

  auto slot = exec(c.get(),
                   "SELECT active, plugin, confirmed_flush_lsn FROM pg_replication_slots "
                   "WHERE slot_name = $1",
                   {o.slot}, steady::now() + step, failure::protocol, err);
  if (!slot)
    return err;
  if (PQntuples(slot.get()) == 0) {
    if (!o.create_slot)
      return {failure::slot_missing,
              "replication slot \"" + o.slot + "\" does not exist (create it, or let the "
                                                "source create it)"};
    need_slot = true;
    return {};
  }
  std::string plugin = PQgetisnull(slot.get(), 0, 1) ? "" : PQgetvalue(slot.get(), 0, 1);
  if (plugin != "pgoutput")
    return {failure::bad_config, "replication slot \"" + o.slot + "\" is not a logical slot of "
                                   "the pgoutput plugin (plugin: '" + plugin + "')"};
  if (!PQgetisnull(slot.get(), 0, 2))
    parse_lsn(PQgetvalue(slot.get(), 0, 2), slot_confirmed);
  if (std::string_view(PQgetvalue(slot.get(), 0, 0)) == "t")
    return {failure::slot_active,
            "replication slot \"" + o.slot + "\" is active: another connection consumes it"};
  return {};
}

// On the replication connection: IDENTIFY_SYSTEM, the slot when missing, START_REPLICATION.
session_error replication_session::impl::start_stream(const session_options& o, lsn_t start,
                                                      bool need_slot, budget step) {
  session_error err;
  auto kw = conn_keywords(o, true, err);
  if (err)
    return err;
  repl = connect(kw, steady::now() + step, err);
  if (!repl)
    return err;
  auto id = exec(repl.get(), "IDENTIFY_SYSTEM", {}, steady::now() + step, failure::protocol, err);
  if (!id)
    return err;
  if (PQntuples(id.get()) != 1 || PQnfields(id.get()) < 3 ||
      !parse_lsn(PQgetvalue(id.get(), 0, 2), server_lsn))
    return {failure::protocol, "unexpected IDENTIFY_SYSTEM result"};

  if (need_slot) {
    // NOEXPORT_SNAPSHOT: the source streams changes from here on; it copies no initial data.
    session_error create_err;
    if (!exec(repl.get(), create_slot_command(o.slot), {}, steady::now() + step, failure::protocol, create_err) &&
        create_err.message.find("42710") == std::string::npos) // created meanwhile: fine
      return create_err;
  }

  auto res = exec(repl.get(), start_replication_command(o.slot, start, o.publication), {}, steady::now() + step, failure::protocol, err);
  if (!res)
    return err;
  if (PQresultStatus(res.get()) != PGRES_COPY_BOTH)
    return {failure::protocol, std::string("START_REPLICATION answered ") +
                                 PQresStatus(PQresultStatus(res.get())) + ", not COPY_BOTH"};
  // Non-blocking from here: a status update must never wait on a full socket buffer.
  if (PQsetnonblocking(repl.get(), 1) != 0)
    return {failure::protocol, "cannot make the replication connection non-blocking"};
  streaming = true;
  return {};
}

// PQgetCopyData said the COPY is over: the server's final result says why.
session_error replication_session::impl::stream_ended() {
  constexpr const char* ended = "the server ended the replication stream (it shuts down, or the "
                                "walsender was terminated)";
  session_error out{failure::disconnected, ended};
  // The result is already buffered (libpq read it to learn the COPY ended): no waiting here.
  for (int i = 0; i < 8; ++i) {
    if (PQisBusy(repl.get()))
      break;
    result_ptr r(PQgetResult(repl.get()));
    if (!r)
      break;
    auto st = PQresultStatus(r.get());
    if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
      out = classify(r.get(), failure::disconnected);
      break;
    }
  }
  if (out.message == ended) {
    auto msg = one_line(PQerrorMessage(repl.get()));
    if (!msg.empty())
      out.message = msg;
  }
  return fail(std::move(out));
}

session_error replication_session::poll(int timeout_ms, std::size_t max_messages,
                                        const std::function<void(std::string_view)>& on_copy_data) {
  auto& s = *impl_;
  if (!s.streaming || !s.repl)
    return {failure::disconnected, "not streaming"};
  PGconn* conn = s.repl.get();
  std::size_t handed = 0;
  // 1: handed over what is complete in libpq's buffer; 0: none left; <0: the stream ended.
  auto drain = [&]() -> int {
    while (handed < max_messages) {
      char* buf = nullptr;
      int n = PQgetCopyData(conn, &buf, 1);
      if (n > 0) {
        on_copy_data(std::string_view(buf, static_cast<std::size_t>(n)));
        PQfreemem(buf);
        ++handed;
        continue;
      }
      return n == 0 ? 0 : n;
    }
    return 1;
  };
  auto ended = [&](int r) {
    return r == -1 ? s.stream_ended()
                   : s.fail({failure::disconnected, one_line(PQerrorMessage(conn))});
  };
  int r = drain();
  if (r < 0)
    return ended(r);
  if (handed > 0 || max_messages == 0)
    return {}; // don't wait while there is work: the caller comes back at once

  int flushed = PQflush(conn); // a status update the socket did not take at once
  if (flushed < 0)
    return s.fail({failure::disconnected, one_line(PQerrorMessage(conn))});
  pollfd p{PQsocket(conn), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
  int n = ::poll(&p, 1, std::max(timeout_ms, 0));
  if (n < 0 && errno != EINTR)
    return s.fail({failure::disconnected, "poll on the replication socket failed"});
  if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
    if (!PQconsumeInput(conn))
      return s.fail({failure::disconnected, one_line(PQerrorMessage(conn))});
    r = drain();
    if (r < 0)
      return ended(r);
  }
  return {};
}

session_error replication_session::send_status(lsn_t written, lsn_t flushed, lsn_t applied,
                                               bool reply_requested) {
  auto& s = *impl_;
  if (!s.streaming || !s.repl)
    return {failure::disconnected, "not streaming"};
  PGconn* conn = s.repl.get();
  auto unix_us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  auto msg = standby_status_update(written, flushed, applied, pg_time_from_unix_us(unix_us),
                                   reply_requested);
  // In non-blocking mode PQputCopyData queues (1), finds no room yet (0), or fails (-1).
  int put = 0;
  for (int round = 0; round < flush_rounds && put == 0; ++round) {
    put = PQputCopyData(conn, msg.data(), static_cast<int>(msg.size()));
    if (put == 0) {
      pollfd p{PQsocket(conn), POLLOUT, 0};
      ::poll(&p, 1, flush_wait_ms);
      PQflush(conn);
    }
  }
  if (put < 0)
    return s.fail({failure::disconnected, one_line(PQerrorMessage(conn))});
  if (put == 0)
    return {failure::disconnected, "the server does not take the status update (socket full)"};
  for (int round = 0; round < flush_rounds; ++round) {
    int f = PQflush(conn);
    if (f == 0)
      return {};
    if (f < 0)
      return s.fail({failure::disconnected, one_line(PQerrorMessage(conn))});
    pollfd p{PQsocket(conn), POLLOUT, 0};
    ::poll(&p, 1, flush_wait_ms);
  }
  return {}; // queued; poll() flushes the rest
}

} // namespace sy::pg
