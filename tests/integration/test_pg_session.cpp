// The libpq replication session against a real PostgreSQL 15 (tests/support/pg_server): the
// checks and what each refusal is, streaming an INSERT, a confirmed position not resent after a
// restart of the stream, a server restart while streaming. PostgreSQL missing fails these
// tests: CI installs it (scripts/deps.sh).
#include "net/pg/lsn.hpp"
#include "net/pg/replication_session.hpp"
#include "support/pg_server.hpp"

#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>

using namespace sy::test;
using namespace std::chrono_literals;
namespace pg = sy::pg;
using steady = std::chrono::steady_clock;

namespace {

pg::session_options options_for(const pg_server& srv, std::vector<std::string> tables = {}) {
  pg::session_options o;
  o.dsn = srv.dsn();
  o.publication = "sy_pub";
  o.slot = "sy_slot";
  o.tables = std::move(tables);
  o.connect_timeout_s = 5;
  return o;
}


std::uint64_t be64(std::string_view b, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i)
    v = v << 8 | static_cast<unsigned char>(b[at + i]);
  return v;
}

// What the stream handed over: CopyData payloads, and the highest wal_end of the 'w' ones.
struct received {
  std::vector<std::string> payloads;
  pg::lsn_t wal_end = 0;
  pg::lsn_t keepalive_end = 0; // the highest wal_end of a keepalive ('k')
  bool reply_due = false;      // a keepalive asked for a status update
  bool commit_seen = false;    // a pgoutput 'C' arrived

  bool any_contains(std::string_view text) const {
    return std::any_of(payloads.begin(), payloads.end(),
                       [&](const std::string& p) { return p.find(text) != std::string::npos; });
  }
};

// Polls until `done` holds (true), an error, or `limit` passes (false). With
// `answer_keepalives`, a keepalive that asks for a reply gets a status update confirming its
// wal_end, as a source with nothing pending does.
bool poll_until(pg::replication_session& s, received& got, std::chrono::milliseconds limit,
                const std::function<bool()>& done, pg::session_error* err = nullptr,
                bool answer_keepalives = false) {
  auto until = steady::now() + limit;
  while (steady::now() < until) {
    auto e = s.poll(100, 64, [&](std::string_view p) {
      got.payloads.emplace_back(p);
      // 'w', wal_start, wal_end, send_time (8 bytes each), then the pgoutput message.
      if (p.size() >= 26 && p[0] == 'w') {
        got.wal_end = std::max<pg::lsn_t>(got.wal_end, be64(p, 9));
        if (p[25] == 'C')
          got.commit_seen = true;
      }
      // 'k', wal_end, send_time, reply requested.
      if (p.size() >= 18 && p[0] == 'k') {
        got.keepalive_end = std::max<pg::lsn_t>(got.keepalive_end, be64(p, 1));
        got.reply_due = got.reply_due || p[17] != 0;
      }
    });
    if (!e && answer_keepalives && got.reply_due) {
      got.reply_due = false;
      e = s.send_status(got.keepalive_end, got.keepalive_end, got.keepalive_end, false);
    }
    if (e) {
      if (err)
        *err = e;
      return false;
    }
    if (done())
      return true;
  }
  return false;
}

// start(), retried while the slot is still held by a walsender that is exiting (a session
// closed a moment ago): bounded.
pg::session_error start_when_free(pg::replication_session& s, const pg::session_options& o,
                                  pg::lsn_t from = 0) {
  pg::session_error e;
  for (int i = 0; i < 50; ++i) {
    e = s.start(o, from);
    if (e.kind != pg::failure::slot_active)
      return e;
    std::this_thread::sleep_for(100ms);
  }
  return e;
}

std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

} // namespace

TEST_CASE("pg session: start creates the publication and the slot and streams an insert, and a "
          "confirmed position is not sent again",
          "[integration][pg]") {
  pg_server srv;
  srv.exec("CREATE TABLE items (id int PRIMARY KEY, name text)");
  auto o = options_for(srv, {"public.items"});
  pg::replication_session s;
  auto e = s.start(o);
  INFO(pg::failure_name(e.kind) << ": " << e.message);
  REQUIRE_FALSE(e);
  CHECK(s.streaming());
  CHECK(s.server_lsn_at_start() > 0);
  CHECK(srv.column("SELECT pubname FROM pg_publication") == std::vector<std::string>{"sy_pub"});
  CHECK(srv.column("SELECT tablename FROM pg_publication_tables WHERE pubname = 'sy_pub'") ==
        std::vector<std::string>{"items"});
  CHECK(srv.column("SELECT plugin FROM pg_replication_slots WHERE slot_name = 'sy_slot'") ==
        std::vector<std::string>{"pgoutput"});

  srv.exec("INSERT INTO items VALUES (1, 'first-row-marker')");
  received got;
  pg::session_error perr;
  REQUIRE(poll_until(s, got, 5s, [&] { return got.commit_seen; }, &perr));
  INFO(perr.message);
  CHECK(got.any_contains("first-row-marker"));
  bool w_with_table = std::any_of(got.payloads.begin(), got.payloads.end(), [](auto& p) {
    return p[0] == 'w' && p.find("items") != std::string::npos;
  });
  CHECK(w_with_table);
  REQUIRE(got.wal_end > 0);

  // Confirm up to the received end of WAL: the slot's confirmed_flush_lsn gets there.
  REQUIRE_FALSE(s.send_status(got.wal_end, got.wal_end, got.wal_end, false));
  std::string reached = "SELECT confirmed_flush_lsn >= '" + pg::format_lsn(got.wal_end) +
                        "'::pg_lsn FROM pg_replication_slots WHERE slot_name = 'sy_slot'";
  received more;
  bool advanced = false;
  for (auto until = steady::now() + 5s; !advanced && steady::now() < until;) {
    advanced = srv.column(reached) == std::vector<std::string>{"t"};
    if (!advanced)
      REQUIRE_FALSE(s.poll(50, 64, [&](std::string_view p) { more.payloads.emplace_back(p); }));
  }
  REQUIRE(advanced);

  // The stream again from the slot's position: the next transaction, not the confirmed one.
  s.close();
  CHECK_FALSE(s.streaming());
  auto e2 = start_when_free(s, o, 0);
  INFO(pg::failure_name(e2.kind) << ": " << e2.message);
  REQUIRE_FALSE(e2);
  srv.exec("INSERT INTO items VALUES (2, 'second-row-marker')");
  received again;
  REQUIRE(poll_until(s, again, 5s, [&] { return again.commit_seen; }));
  CHECK(again.any_contains("second-row-marker"));
  CHECK_FALSE(again.any_contains("first-row-marker"));
}

TEST_CASE("pg session: wal_level replica is refused as wal_level until the server runs with "
          "logical",
          "[integration][pg]") {
  pg_options po;
  po.wal_level = "replica";
  pg_server srv(po);
  pg::replication_session s;
  auto o = options_for(srv);
  auto e = s.start(o);
  CHECK(e.kind == pg::failure::wal_level);
  CHECK(e.message.find("wal_level") != std::string::npos);
  CHECK(e.message.find("'replica'") != std::string::npos);
  CHECK_FALSE(s.streaming());

  srv.restart(false, std::string("logical"));
  auto e2 = s.start(o);
  INFO(pg::failure_name(e2.kind) << ": " << e2.message);
  CHECK_FALSE(e2);
  CHECK(s.streaming());
}

TEST_CASE("pg session: a missing publication or slot that may not be created, a missing table",
          "[integration][pg]") {
  pg_server srv;
  srv.exec("CREATE TABLE items (id int PRIMARY KEY)");
  pg::replication_session s;

  auto o = options_for(srv, {"items"});
  o.create_publication = false;
  auto e = s.start(o);
  CHECK(e.kind == pg::failure::publication_missing);
  CHECK(e.message.find("sy_pub") != std::string::npos);

  srv.exec("CREATE PUBLICATION sy_pub FOR TABLE items");
  o.create_slot = false;
  e = s.start(o);
  CHECK(e.kind == pg::failure::slot_missing);
  CHECK(e.message.find("sy_slot") != std::string::npos);
  CHECK(srv.column("SELECT slot_name FROM pg_replication_slots").empty());

  auto bad = options_for(srv, {"items", "no_such_table"});
  bad.publication = "other_pub";
  e = s.start(bad);
  CHECK(e.kind == pg::failure::bad_config);
  CHECK(e.message.find("no_such_table") != std::string::npos);

  bad.slot = "Not-Valid";
  e = s.start(bad);
  CHECK(e.kind == pg::failure::bad_config);
  CHECK_FALSE(s.streaming());
}

TEST_CASE("pg session: an unreachable port fails fast as unreachable", "[integration][pg]") {
  pg::session_options o;
  o.dsn = "host=127.0.0.1 port=" + std::to_string(closed_port()) + " dbname=postgres user=postgres";
  o.publication = "sy_pub";
  o.slot = "sy_slot";
  o.connect_timeout_s = 2;
  pg::replication_session s;
  auto t0 = steady::now();
  auto e = s.start(o);
  auto took = steady::now() - t0;
  CHECK(e.kind == pg::failure::unreachable);
  CHECK_FALSE(e.message.empty());
  CHECK(took < std::chrono::seconds(o.connect_timeout_s) + 1s);
}

TEST_CASE("pg session: a second session on an active slot gets slot_active", "[integration][pg]") {
  pg_server srv;
  auto o = options_for(srv);
  pg::replication_session first;
  auto e = first.start(o);
  INFO(pg::failure_name(e.kind) << ": " << e.message);
  REQUIRE_FALSE(e);
  pg::replication_session second;
  auto e2 = second.start(o);
  CHECK(e2.kind == pg::failure::slot_active);
  CHECK(e2.message.find("sy_slot") != std::string::npos);
  CHECK_FALSE(second.streaming());
  CHECK(first.streaming());
}

TEST_CASE("pg session: a PostgreSQL restart while streaming ends poll with disconnected and "
          "start works again",
          "[integration][pg]") {
  pg_server srv;
  auto o = options_for(srv);
  pg::replication_session s;
  auto e = s.start(o);
  INFO(pg::failure_name(e.kind) << ": " << e.message);
  REQUIRE_FALSE(e);

  // The stream keeps being read while pg_ctl restarts the server, and keepalives are answered,
  // as the source does: a fast shutdown waits until the client confirmed all WAL sent to it.
  auto restarted = std::async(std::launch::async, [&] { srv.restart(false); });
  received got;
  pg::session_error err;
  auto t0 = steady::now();
  CHECK_FALSE(poll_until(s, got, 30s, [] { return false; }, &err, true));
  CHECK(steady::now() - t0 < 30s);
  CHECK(err.kind == pg::failure::disconnected);
  CHECK_FALSE(err.message.empty());
  CHECK_FALSE(s.streaming());
  REQUIRE(restarted.wait_for(60s) == std::future_status::ready);
  restarted.get();

  auto e2 = start_when_free(s, o);
  INFO(pg::failure_name(e2.kind) << ": " << e2.message);
  REQUIRE_FALSE(e2);
  CHECK(s.streaming());

  // A crash (immediate stop): the socket just closes.
  auto crashed = std::async(std::launch::async, [&] { srv.restart(true); });
  received after_crash;
  pg::session_error crash_err;
  CHECK_FALSE(poll_until(s, after_crash, 30s, [] { return false; }, &crash_err, true));
  CHECK(crash_err.kind == pg::failure::disconnected);
  CHECK_FALSE(crash_err.message.empty());
  REQUIRE(crashed.wait_for(60s) == std::future_status::ready);
  crashed.get();
  auto e3 = start_when_free(s, o);
  INFO(pg::failure_name(e3.kind) << ": " << e3.message);
  CHECK_FALSE(e3);
}

TEST_CASE("pg session: replication_conninfo of a conninfo and of a URI connects for replication "
          "with the session settings",
          "[integration][pg]") {
  pg_server srv;
  std::string uri = "postgresql://postgres@127.0.0.1:" + std::to_string(srv.port()) + "/postgres";
  for (const std::string& dsn : {srv.dsn(), uri, uri + "?connect_timeout=5"}) {
    auto info = pg::replication_conninfo(dsn);
    INFO(info);
    PGconn* c = PQconnectdb(info.c_str());
    REQUIRE(c);
    INFO(PQerrorMessage(c));
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    auto show = [&](const char* sql) {
      PGresult* r = PQexec(c, sql);
      std::string v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                        ? PQgetvalue(r, 0, 0)
                        : std::string("error: ") + PQresultErrorMessage(r);
      PQclear(r);
      return v;
    };
    CHECK(show("IDENTIFY_SYSTEM").size() > 0);
    CHECK(show("SHOW TimeZone") == "UTC");
    CHECK(show("SHOW bytea_output") == "hex");
    CHECK(show("SHOW extra_float_digits") == "3");
    CHECK(show("SHOW IntervalStyle") == "iso_8601");
    CHECK(show("SHOW DateStyle").rfind("ISO", 0) == 0);
    PQfinish(c);
  }
  // The session itself takes a URI too.
  pg::replication_session s;
  auto o = options_for(srv);
  o.dsn = uri;
  auto e = s.start(o);
  INFO(pg::failure_name(e.kind) << ": " << e.message);
  CHECK_FALSE(e);
}
