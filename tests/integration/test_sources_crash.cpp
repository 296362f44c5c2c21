// Crash and failover of a PostgreSQL change-data source (CHANGE-CAPTURE.md): subscribers see
// every committed row exactly once across kill -9 of Switchyard, a restart of PostgreSQL (fast
// and immediate) and the death of the cluster node that runs the source. The slot resends what
// was not confirmed; the idempotency keys ("pg:<slot>:<commit lsn>:<n>") turn that into
// duplicates the channel drops. Checked twice: the channel's whole history over REST, and a
// Fabric subscriber that resumes from its last cursor. Real PostgreSQL 15, real daemons on the
// durable store; every wait is bounded.
#include "durable_node.hpp"
#include "schema/ownership.hpp"
#include "sources_crash_support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <memory>

using namespace sy::test;

namespace {

// 10,000 rows in 20 transactions, 100 ms apart: each arrives as a burst of 500 changes, and
// the crash comes in the middle of one, while changes of it are received and not yet stored
// (a source that confirmed them too early loses them).
constexpr int load_txns = 10;
constexpr int load_rows = 1000;
constexpr auto load_pause = 300ms;
constexpr std::size_t crash_at = 3300; // rows delivered when the crash comes

// Waits (bounded) until `done` holds; false when `limit` passed first.
bool wait_for(std::chrono::milliseconds limit, const std::function<bool()>& done,
              std::chrono::milliseconds step = 50ms) {
  auto until = steady::now() + limit;
  while (!done()) {
    if (steady::now() > until)
      return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

void make_table(const pg_server& pg) {
  pg.exec("CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL)");
}

// Every id of `expected` exactly once in `got`, nothing else.
void check_exactly_once(const char* what, const std::vector<std::int64_t>& got,
                        const std::vector<std::int64_t>& expected) {
  auto counts = id_counts(got);
  std::vector<std::int64_t> missing, twice, unknown;
  for (auto id : expected)
    if (counts.count(id) == 0)
      missing.push_back(id);
  for (const auto& [id, n] : counts) {
    if (n > 1)
      twice.push_back(id);
    if (!std::binary_search(expected.begin(), expected.end(), id))
      unknown.push_back(id);
  }
  auto head = [](const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size() && i < 10; ++i)
      s += std::to_string(v[i]) + " ";
    return s + (v.size() > 10 ? "..." : "");
  };
  INFO(what << ": " << got.size() << " events for " << expected.size() << " committed rows");
  INFO("missing " << missing.size() << ": " << head(missing));
  INFO("more than once " << twice.size() << ": " << head(twice));
  INFO("not committed " << unknown.size() << ": " << head(unknown));
  CHECK((missing.empty() && twice.empty() && unknown.empty() && got.size() == expected.size()));
}

// The channel's whole history on the node at `port`: every committed row once, seqs 1..N.
void check_history(std::uint16_t port, const std::vector<std::int64_t>& expected) {
  auto events = whole_history(port, crash_channel);
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < events.size(); ++i) {
    ids.push_back(row_id_of(events[i]));
    if (field_i(events[i], "seq") != static_cast<std::int64_t>(i) + 1) {
      FAIL_CHECK("history seq " << field_i(events[i], "seq") << " at position " << i + 1);
      break;
    }
  }
  check_exactly_once("history", ids, expected);
}

// Waits until the node holds `count` events of the channel and the subscriber got as many,
// then until nothing moves any more (the source has nothing in flight, lastSeq stays put), so
// that a duplicate arriving late would still be seen.
void wait_settled(std::uint16_t port, const resuming_subscriber& sub, std::size_t count) {
  bool arrived = wait_for(25s, [&] {
    return last_seq(port, crash_channel) >= static_cast<std::int64_t>(count) &&
           sub.received() >= count;
  }, 100ms);
  INFO("lastSeq " << last_seq(port, crash_channel) << ", subscriber " << sub.received()
                  << " of " << count);
  for (const auto& p : sub.problems())
    UNSCOPED_INFO("subscriber: " << p);
  REQUIRE(arrived);
  std::int64_t seen = -1;
  bool still = wait_for(10s, [&] {
    auto now = last_seq(port, crash_channel);
    auto row = source_row(port);
    bool idle = field_i(row, "inFlight") == 0 && now == seen;
    seen = now;
    return idle;
  }, 300ms);
  CHECK(still);
}

void wait_streaming(std::uint16_t port, std::chrono::seconds limit = 15s) {
  std::string state;
  bool ok = wait_for(limit, [&] {
    state = field_s(source_row(port), "state");
    return state == "streaming";
  });
  INFO("source state " << state);
  REQUIRE(ok);
}

// Waits until the subscriber has `n` rows (bounded), while the load still runs.
void wait_delivered(const resuming_subscriber& sub, std::size_t n) {
  bool ok = wait_for(20s, [&] { return sub.received() >= n; }, 1ms);
  INFO("subscriber has " << sub.received() << " rows");
  REQUIRE(ok);
}

// The load has ended: every committed row is in the history of the node on `port` and reached
// the subscriber, each exactly once, with nothing else.
void check_load_delivered(pg_load& load, const pg_server& pg, std::uint16_t port,
                          const resuming_subscriber& sub, std::size_t rows) {
  load.join();
  INFO("load: " << load.error() << ", " << load.retries() << " retries");
  REQUIRE(load.error().empty());
  auto expected = committed_ids(pg);
  REQUIRE(expected.size() == rows);
  wait_settled(port, sub, expected.size());
  check_history(port, expected);
  check_exactly_once("subscriber", sub.ids(), expected);
  CHECK(sub.problems().empty());
}

// Waits (bounded) until the source on the node at `port` has changes published and not yet
// stored: a crash then comes between its publishes and their acks, the moment a source that
// confirms too early loses rows at.
void wait_in_flight(std::uint16_t port) {
  http_client h(port);
  bool ok = wait_for(10s, [&] {
    auto r = h.request("GET", "/v1/sources", "", api_key_auth());
    auto body = parse_json(r.body);
    if (r.status != 200 || !body.is_object())
      return false;
    const auto& rows = body.as_object().at("sources").as_array();
    return rows.size() == 1 && field_i(rows[0].as_object(), "inFlight") > 0;
  }, 0ms);
  REQUIRE(ok);
}

void run_pg_restart_case(bool immediate) {
  REQUIRE(pg_available());
  pg_server pg;
  make_table(pg);
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  daemon_process d(crash_serve_args(pg, dir.path() + "/store"));
  wait_streaming(d.port());
  resuming_subscriber sub(crash_channel);
  sub.point_at(d.port());
  REQUIRE(wait_for(5s, [&] { return sub.subscribed(); }));

  pg_load load(pg, load_txns, load_rows, load_pause);
  wait_delivered(sub, crash_at);
  CHECK(!load.finished()); // the restart comes in the middle of the load
  pg.restart(immediate);
  check_load_delivered(load, pg, d.port(), sub,
                       static_cast<std::size_t>(load_txns * load_rows));
  CHECK(field_i(source_row(d.port()), "failures") >= 1); // the stream did break
}

// A source id whose node (the cluster ranks "source:<id>" like a channel name,
// actors/sources.cpp) is the owner of the source's channel (`with_channel`) or the other node.
// The test checks the placement it then sees, so a change of that rule fails it loudly.
std::string source_id_placed(const std::vector<std::string>& node_ids, bool with_channel) {
  auto best = [&](const std::string& name) { return node_ids[sy::rank_nodes(node_ids, name)[0]]; };
  auto owner = best(crash_channel);
  for (int i = 0; i < 64; ++i) {
    auto id = "crash" + std::to_string(i);
    if ((best("source:" + id) == owner) == with_channel)
      return id;
  }
  return {};
}

// Two nodes on the durable store with the same `sources`; kill -9 of the node running the
// source during a load: the other node takes the source over and its history (and the
// subscriber, which resumes there) holds every committed row once.
void run_failover_case(bool source_with_channel) {
  REQUIRE(pg_available());
  pg_server pg;
  make_table(pg);
  durable_node a, b;
  REQUIRE((!a.dir.empty() && !b.dir.empty()));
  auto id = source_id_placed({a.id(), b.id()}, source_with_channel);
  REQUIRE(!id.empty());
  for (auto* n : {&a, &b})
    n->extra = {"--set", "history.size=20000", "--set", crash_sources_setting(pg, id)};
  a.start("");
  b.start(a.id());
  REQUIRE(wait_for(15s, [&] {
    for (auto* n : {&a, &b}) {
      std::size_t up = 0;
      auto listing = cluster_listing(*n);
      for (const auto& m : listing.at("members").as_array())
        up += m.as_object().at("state") == "up" ? 1 : 0;
      if (up != 2)
        return false;
    }
    return true;
  }, 100ms));

  // The source runs on one node; the other lists it "elsewhere", on that node.
  durable_node* runner = nullptr;
  REQUIRE(wait_for(15s, [&] {
    auto ra = source_row(a.d->port());
    auto rb = source_row(b.d->port());
    if (field_s(ra, "state") == "streaming" && field_s(rb, "state") == "elsewhere" &&
        field_s(rb, "node") == a.id())
      runner = &a;
    if (field_s(rb, "state") == "streaming" && field_s(ra, "state") == "elsewhere" &&
        field_s(ra, "node") == b.id())
      runner = &b;
    return runner != nullptr;
  }, 100ms));
  durable_node& survivor = runner == &a ? b : a;
  auto owner = field_s(cluster_listing(survivor, "?channel=" + crash_channel), "owner");
  INFO("source " << id << " on " << runner->id() << ", channel owner " << owner);
  REQUIRE((owner == runner->id()) == source_with_channel);

  resuming_subscriber sub(crash_channel); // on the node that dies: it resumes on the other
  sub.point_at(runner->d->port());
  REQUIRE(wait_for(5s, [&] { return sub.subscribed(); }));
  pg_load load(pg, load_txns, load_rows, load_pause);
  wait_delivered(sub, crash_at);
  wait_in_flight(runner->d->port());
  CHECK(!load.finished());
  sub.point_at(0);
  auto killed_at = steady::now();
  runner->kill9();
  sub.point_at(survivor.d->port());

  wait_streaming(survivor.d->port(), 20s);
  auto takeover = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - killed_at);
  INFO("source streaming on the survivor " << takeover.count() << " ms after the kill");
  CHECK(field_s(source_row(survivor.d->port()), "node") == survivor.id());

  check_load_delivered(load, pg, survivor.d->port(), sub,
                       static_cast<std::size_t>(load_txns * load_rows));
}

} // namespace

TEST_CASE("pg source: kill -9 of switchyard during a load delivers every row exactly once",
          "[integration][pg][crash]") {
  REQUIRE(pg_available());
  pg_server pg;
  make_table(pg);
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  auto args = crash_serve_args(pg, dir.path() + "/store");
  auto d = std::make_unique<daemon_process>(args);
  wait_streaming(d->port());
  resuming_subscriber sub(crash_channel);
  sub.point_at(d->port());
  REQUIRE(wait_for(5s, [&] { return sub.subscribed(); }));

  pg_load load(pg, load_txns, load_rows, load_pause);
  wait_delivered(sub, crash_at);
  wait_in_flight(d->port());
  CHECK(!load.finished()); // the kill comes in the middle of the load
  sub.point_at(0);
  d->terminate(SIGKILL);
  REQUIRE(d->wait_exit(5s).has_value());
  d = std::make_unique<daemon_process>(args); // the same storage.dir
  sub.point_at(d->port());

  check_load_delivered(load, pg, d->port(), sub,
                       static_cast<std::size_t>(load_txns * load_rows));
  CHECK(sub.sessions() == 2); // it did resume on the restarted daemon
}

TEST_CASE("pg source: a fast restart of postgresql during a load delivers every row exactly once",
          "[integration][pg][crash]") {
  run_pg_restart_case(false);
}

TEST_CASE("pg source: an immediate restart of postgresql during a load delivers every row "
          "exactly once",
          "[integration][pg][crash]") {
  run_pg_restart_case(true);
}

TEST_CASE("pg source: kill -9 of the cluster node running the source and owning its channel "
          "moves both and keeps every row exactly once",
          "[integration][pg][crash][cluster]") {
  run_failover_case(true);
}

TEST_CASE("pg source: kill -9 of the cluster node running the source moves it to the channel's "
          "owner and keeps every row exactly once",
          "[integration][pg][crash][cluster]") {
  run_failover_case(false);
}

// Single-row transactions, each followed by one that touches only a table outside the
// publication (the slot then confirms through keepalive positions, not commits), and two kills
// in a row, the second while the restarted daemon still receives what the slot resent.
TEST_CASE("pg source: two kills during single-row transactions between writes to another "
          "table deliver every row exactly once",
          "[integration][pg][crash]") {
  REQUIRE(pg_available());
  pg_server pg;
  make_table(pg);
  pg.exec("CREATE TABLE other (id int PRIMARY KEY)");
  pg.exec(R"(CREATE PROCEDURE load_rows(a int, b int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN a..b LOOP
    INSERT INTO products(id, name) VALUES (i, 'p' || i) ON CONFLICT DO NOTHING;
    COMMIT;
    INSERT INTO other(id) VALUES (i) ON CONFLICT DO NOTHING;
    COMMIT;
  END LOOP;
END $$)");
  // 10,000 commits: not waiting for PostgreSQL's WAL flush keeps the load off the shared disk.
  pg.exec("ALTER DATABASE postgres SET synchronous_commit = off");
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  auto args = crash_serve_args(pg, dir.path() + "/store");
  auto d = std::make_unique<daemon_process>(args);
  wait_streaming(d->port());
  resuming_subscriber sub(crash_channel);
  sub.point_at(d->port());
  REQUIRE(wait_for(5s, [&] { return sub.subscribed(); }));
  pg_load load(pg, 50, 100, 5ms, [](int first, int last) {
    return "CALL load_rows(" + std::to_string(first) + ", " + std::to_string(last) + ")";
  });
  for (std::size_t at : {std::size_t{1500}, std::size_t{2000}}) {
    wait_delivered(sub, at);
    CHECK(!load.finished());
    sub.point_at(0);
    d->terminate(SIGKILL);
    REQUIRE(d->wait_exit(5s).has_value());
    d = std::make_unique<daemon_process>(args);
    sub.point_at(d->port());
  }
  check_load_delivered(load, pg, d->port(), sub, 5000);
  CHECK(sub.sessions() == 3);
}

// Transactions of 2,500 rows against a window of 50 changes in flight: the source waits for
// acks in the middle of a transaction when PostgreSQL restarts (fast: it waits until the source
// confirmed what it sent) and again when it is killed.
TEST_CASE("pg source: a postgresql restart and a kill in the middle of large transactions "
          "deliver every row exactly once",
          "[integration][pg][crash]") {
  REQUIRE(pg_available());
  pg_server pg;
  make_table(pg);
  temp_dir dir;
  REQUIRE(!dir.path().empty());
  auto args = crash_serve_args(pg, dir.path() + "/store");
  auto& sources = args.back();
  sources.replace(sources.find("\"retry_max_ms\""), 0, "\"max_in_flight\":50,");
  auto d = std::make_unique<daemon_process>(args);
  wait_streaming(d->port());
  resuming_subscriber sub(crash_channel);
  sub.point_at(d->port());
  REQUIRE(wait_for(5s, [&] { return sub.subscribed(); }));
  pg_load load(pg, 4, 2500, 1500ms); // each transaction delivered before the next begins
  wait_delivered(sub, 1000);
  CHECK(sub.received() < 2500); // inside the first transaction
  pg.restart(false);
  wait_delivered(sub, 3500);
  CHECK(sub.received() < 5000); // inside the second
  sub.point_at(0);
  d->terminate(SIGKILL);
  REQUIRE(d->wait_exit(5s).has_value());
  d = std::make_unique<daemon_process>(args);
  sub.point_at(d->port());
  check_load_delivered(load, pg, d->port(), sub, 10000);
}
