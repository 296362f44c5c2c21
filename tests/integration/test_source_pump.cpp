// A PostgreSQL source's thread while its changes wait to be stored: it waits on the replication
// socket (and its mailbox) instead of spinning. Real PostgreSQL 15 (tests/support/pg_server),
// real daemon (rocksdb, default sync), one-row transactions back to back, as an application
// commits them.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/pg_server.hpp"

#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

using namespace sy::test;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

// utime + stime of the whole process, in seconds.
double process_cpu_s(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  auto paren = text.rfind(')');
  unsigned long utime = 0, stime = 0;
  if (paren == std::string::npos ||
      std::sscanf(text.c_str() + paren + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                  &utime, &stime) != 2)
    return -1;
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The "changes" count GET /v1/sources reports for the one source (-1 when absent).
long source_changes(http_client& h) {
  auto r = h.request("GET", "/v1/sources", {}, {{"Authorization", "Bearer test-key"}});
  auto at = r.body.find("\"changes\":");
  return r.status == 200 && at != std::string::npos ? std::atol(r.body.c_str() + at + 10) : -1;
}

} // namespace

TEST_CASE("source: changes waiting to be stored cost no spinning CPU", "[integration][pg]") {
  REQUIRE(pg_available());
  pg_server srv;
  srv.exec("CREATE TABLE items (n int PRIMARY KEY)");
  daemon_process d({}, {{"SWITCHYARD_SOURCES",
                         R"([{"kind":"postgres","workspace":"acme","dsn":")" + srv.dsn() +
                           R"(","publication":"sy_pub","slot":"sy_slot","tables":["items"]}])"}});
  auto deadline = steady::now() + 30s;
  while (srv.column("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sy_slot' "
                    "AND active")[0] != "1") {
    REQUIRE(steady::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
  PGconn* conn = PQconnectdb((srv.dsn() + " connect_timeout=10").c_str());
  REQUIRE(PQstatus(conn) == CONNECTION_OK);

  // Each commit is one change in flight until the store has it (a synced write): before the
  // fix the source polled its socket without waiting meanwhile, ~1 core for the whole run
  // (> 1,000 µs per change here); waiting on the socket leaves ~100-250 µs per change.
  constexpr int changes = 1000;
  double cpu0 = process_cpu_s(d.pid());
  for (int i = 1; i <= changes; ++i) {
    PGresult* r = PQexec(conn, ("INSERT INTO items VALUES (" + std::to_string(i) + ")").c_str());
    REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
  }
  PQfinish(conn);
  http_client h(d.port());
  deadline = steady::now() + 30s;
  while (source_changes(h) < changes) {
    REQUIRE(steady::now() < deadline);
    std::this_thread::sleep_for(20ms);
  }
  double cpu_us_per_change = (process_cpu_s(d.pid()) - cpu0) * 1e6 / changes;
  INFO("daemon CPU per change: " << cpu_us_per_change << " µs");
#ifndef SY_SANITIZED
  // CPU time, not wall time: other tests running meanwhile do not add to it. Under the
  // sanitizers every instruction costs several times more, so only the Release job checks it.
  CHECK(cpu_us_per_change < 600);
#endif
}
