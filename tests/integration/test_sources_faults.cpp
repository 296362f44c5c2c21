// Change capture when things go wrong, against a real PostgreSQL 15 and the real daemon: a
// server without logical decoding until it is restarted with it, an unreachable database, a
// missing publication, and a daemon stopped and restarted on the same store (changes stored
// exactly once). PostgreSQL missing fails these tests.
#include "sources_support.hpp"

#include <stdlib.h>

#include <filesystem>
#include <set>

using namespace sy::test;

namespace {

std::string state_labels(const std::string& id, const std::string& state) {
  return "source=\"" + id + "\",state=\"" + state + "\"";
}

void create_products(const pg_server& pg) {
  pg.exec("CREATE TABLE products (id int PRIMARY KEY, name text, price numeric(10,2))");
}

// Polls the channel's history until it holds `n` events (bounded); returns what it holds.
std::vector<json::object> wait_history(const daemon_process& d, const std::string& channel,
                                       std::size_t n, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto events = channel_history(d, channel);
  while (events.size() < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    events = channel_history(d, channel);
  }
  return events;
}

// A directory of the test's own, removed at the end (the restarted daemon's store).
struct temp_dir {
  std::string path;
  temp_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sy-sources-XXXXXX").string();
    if (::mkdtemp(tmpl.data()))
      path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    if (!path.empty())
      std::filesystem::remove_all(path, ec);
  }
};

} // namespace

TEST_CASE("sources: a server with wal_level replica is retried as wal_level until it is "
          "restarted with logical, then the source streams",
          "[integration][pg][sources]") {
  pg_options o;
  o.wal_level = "replica";
  pg_server pg(o);
  create_products(pg);
  source_spec s;
  s.dsn = pg.dsn();
  auto d = daemon_with_sources({s});
  auto row = wait_source(*d, s.slot, "retrying", "wal_level");
  const auto& err = field_o(row, "error");
  INFO("row " << to_text(row));
  CHECK(field_s(err, "message").find("wal_level") != std::string::npos);
  CHECK(iso_ms(field_s(err, "at")) > 0);
  CHECK(field_i(row, "failures") >= 1);
  CHECK(metric_sample(*d, "switchyard_source_failures_total", "source=\"" + s.slot + "\"") > 0);
  CHECK(metric_sample(*d, "switchyard_source_state", state_labels(s.slot, "retrying")) == 1);
  CHECK(metric_sample(*d, "switchyard_source_state", state_labels(s.slot, "streaming")) == 0);
  CHECK(promtool_complaints(*d) == ""); // the source families are valid exposition text

  pg.restart(false, "logical");
  wait_source(*d, s.slot, "streaming", "", 30s);
  CHECK(metric_sample(*d, "switchyard_source_state", state_labels(s.slot, "streaming")) == 1);
  CHECK(metric_sample(*d, "switchyard_source_state", state_labels(s.slot, "retrying")) == 0);
  auto g = gateway_client(*d, "acme", "postgres:products");
  pg.exec("INSERT INTO products VALUES (7, 'Lamp', 10)");
  auto f = next_object(g, 10s);
  CHECK(field_s(f, "operation") == "INSERT");
  CHECK(field_o(f, "record").at("id") == json::value(7));
  // Counted when the source handles the ack, which may come a poll interval after the delivery.
  double changes = 0;
  for (int i = 0; i < 100 && changes < 1; ++i) {
    changes = metric_sample(*d, "switchyard_source_changes_total", "source=\"" + s.slot + "\"");
    if (changes < 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(changes == 1);
}

TEST_CASE("sources: an unreachable database and a missing publication are retried with their "
          "error codes while the daemon serves on",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg);
  source_spec down;
  down.dsn = "host=127.0.0.1 port=" + std::to_string(free_port()) + " dbname=postgres user=postgres";
  down.slot = "switchyard_down";
  source_spec nopub;
  nopub.dsn = pg.dsn();
  nopub.slot = "switchyard_nopub";
  nopub.publication = "not_there";
  nopub.create_publication = false;
  source_spec ok;
  ok.dsn = pg.dsn();
  ok.slot = "switchyard_ok";
  auto d = daemon_with_sources({down, nopub, ok});

  auto row = wait_source(*d, down.slot, "retrying", "unreachable");
  CHECK_FALSE(field_s(field_o(row, "error"), "message").empty());
  row = wait_source(*d, nopub.slot, "retrying", "publication_missing");
  CHECK(field_s(field_o(row, "error"), "message").find("not_there") != std::string::npos);
  wait_source(*d, ok.slot, "streaming");
  // Nothing was created for the refused source: no publication, no slot.
  CHECK(pg.column("SELECT pubname FROM pg_publication WHERE pubname = 'not_there'").empty());
  CHECK(pg.column("SELECT slot_name FROM pg_replication_slots WHERE slot_name = "
                  "'switchyard_nopub'")
          .empty());

  // The daemon serves on: health, the working source's changes, and a REST publish.
  http_client h(d->port());
  CHECK(h.request("GET", "/healthz").status == 200);
  auto g = gateway_client(*d, "acme", "postgres:products");
  pg.exec("INSERT INTO products VALUES (1, 'Lamp', 10)");
  CHECK(field_s(next_object(g, 10s), "operation") == "INSERT");
  auto r = h.request("POST", "/workspaces/acme/events",
                     R"({"channel":"postgres:products","operation":"INSERT","record":{"id":2}})",
                     api_key_auth());
  CHECK(r.status == 201);
  CHECK(field_o(next_object(g, 10s), "record").at("id") == json::value(2));

  // And the failing sources keep trying (retry_max_ms 1000), counted, without a crash.
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (field_i(source_listing(*d, down.slot), "failures") < 3 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  CHECK(field_i(source_listing(*d, down.slot), "failures") >= 3);
  CHECK(metric_sample(*d, "switchyard_source_failures_total", "source=\"switchyard_down\"") >= 3);
  CHECK(metric_sample(*d, "switchyard_source_state", state_labels(nopub.slot, "retrying")) == 1);
  CHECK(d->running());
}

TEST_CASE("sources: changes are stored exactly once across a SIGTERM restart on the same store",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg);
  temp_dir dir;
  REQUIRE_FALSE(dir.path.empty());
  std::vector<std::string> args{"--set", "storage.engine=rocksdb", "--set",
                                "storage.dir=" + dir.path + "/store"};
  source_spec s;
  s.dsn = pg.dsn();
  const std::string channel = "ws.acme.postgres:products";
  auto d = daemon_with_sources({s}, args);
  wait_source(*d, s.slot, "streaming");

  // A row while the daemon runs, then a burst of 40 one-row transactions, and a stop as soon
  // as the burst is stored: the daemon may or may not have confirmed all of it to the slot
  // (confirmations go out at most every 100 ms).
  pg.exec("INSERT INTO products VALUES (1, 'first', 1)");
  REQUIRE(wait_history(*d, channel, 1).size() == 1);
  // A copy of the slot as it stands before the burst: put back after the stop, it makes the
  // restarted source receive the whole burst again, as after a stop before any confirmation.
  pg.exec("SELECT pg_copy_logical_replication_slot('switchyard_acme', 'before_burst')");
  std::string burst;
  for (int i = 2; i <= 41; ++i)
    burst += "BEGIN; INSERT INTO products VALUES (" + std::to_string(i) + ", 'b', 1); COMMIT;";
  pg.exec(burst);
  auto stored = wait_history(*d, channel, 41);
  d->terminate(SIGTERM);
  auto code = d->wait_exit(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  // How much of what was stored the slot had been told about (for the report; the test does
  // not depend on it).
  auto confirmed = lsn_value(pg.column("SELECT confirmed_flush_lsn FROM pg_replication_slots "
                                       "WHERE slot_name = 'switchyard_acme'")
                               .at(0));
  std::size_t unconfirmed = 0;
  for (const auto& e : stored) {
    auto key = field_s(e, "idempotencyKey"); // pg:<slot>:<commit lsn>:<n>
    auto lsn = key.substr(0, key.rfind(':'));
    if (lsn_value(lsn.substr(lsn.rfind(':') + 1)) >= confirmed)
      ++unconfirmed;
  }
  INFO("stored before the stop: " << stored.size() << ", not confirmed to the slot: "
                                  << unconfirmed);
  CHECK(stored.size() == 41);
  pg.exec("SELECT pg_drop_replication_slot('switchyard_acme')");
  pg.exec("SELECT pg_copy_logical_replication_slot('before_burst', 'switchyard_acme')");
  pg.exec("SELECT pg_drop_replication_slot('before_burst')");

  d = daemon_with_sources({s}, args);
  wait_source(*d, s.slot, "streaming");
  auto g = gateway_client(*d, "acme", "postgres:products");
  auto events = wait_history(*d, channel, 41);
  // Let a replay that would duplicate arrive before counting.
  std::this_thread::sleep_for(500ms);
  events = channel_history(*d, channel);
  // The burst did come again (each change acknowledged as a duplicate counts as handled).
  CHECK(field_i(source_listing(*d, s.slot), "changes") >= 40);
  std::multiset<std::int64_t> ids;
  std::set<std::string> keys_seen;
  for (const auto& e : events) {
    ids.insert(field_i(field_o(field_o(e, "data"), "record"), "id"));
    keys_seen.insert(field_s(e, "idempotencyKey"));
  }
  CHECK(events.size() == 41);
  CHECK(keys_seen.size() == events.size());
  for (std::int64_t id = 1; id <= 41; ++id) {
    INFO("id " << id);
    CHECK(ids.count(id) == 1);
  }
  // The replayed part went to nobody: the subscriber, live since the restart, sees only the
  // change made after it.
  pg.exec("INSERT INTO products VALUES (100, 'later', 1)");
  auto f = next_object(g, 10s);
  CHECK(field_o(f, "record").at("id") == json::value(100));
  expect_silence(g, 1s);
  CHECK(channel_history(*d, channel).size() == 42);
}

TEST_CASE("sources: a lag over max_lag_bytes alerts in the log, the listing and the metrics, "
          "and never drops the slot",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg);
  source_spec s;
  s.dsn = pg.dsn();
  s.max_lag_bytes = 1; // any change received and not yet confirmed is over it
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  // Idle, the source confirms the server's position within 100 ms: no lag, no alert.
  bool quiet = false;
  for (int i = 0; i < 100 && !quiet; ++i) {
    quiet = !field_b(source_listing(*d, s.slot), "lagAlert");
    if (!quiet)
      std::this_thread::sleep_for(50ms);
  }
  REQUIRE(quiet);
  auto before = d->log().size();
  pg.exec("INSERT INTO products SELECT g, 'row', g FROM generate_series(1, 5000) g");
  std::int64_t changes = 0;
  for (int i = 0; i < 400 && changes < 5000; ++i) { // stored and acknowledged, bounded
    changes = field_i(source_listing(*d, s.slot), "changes");
    if (changes < 5000)
      std::this_thread::sleep_for(50ms);
  }
  REQUIRE(changes == 5000);
  // Everything is stored: confirmed, the lag falls back and the alert clears (bounded wait).
  bool cleared = false;
  for (int i = 0; i < 100 && !cleared; ++i) {
    cleared = !field_b(source_listing(*d, s.slot), "lagAlert") &&
              d->log().find("source lag back under max_lag_bytes") != std::string::npos;
    if (!cleared)
      std::this_thread::sleep_for(50ms);
  }
  auto log = d->log().substr(before);
  INFO(log);
  CHECK(log.find("source lag over max_lag_bytes") != std::string::npos);
  CHECK(cleared);
  CHECK(metric_sample(*d, "switchyard_source_lag_alert", "source=\"" + s.slot + "\"") == 0);
  // The slot is still there and consumed by the source: nothing was dropped for lag.
  CHECK(pg.column("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + s.slot +
                  "' AND active")[0] == "1");
}

TEST_CASE("sources: a role without the rights to publish and replicate is retried as permission "
          "and streams once granted",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg);
  pg.exec("CREATE ROLE plain LOGIN; ALTER TABLE products OWNER TO plain");
  source_spec s;
  s.dsn = pg.dsn();
  s.dsn.replace(s.dsn.find("user=postgres"), 13, "user=plain");
  auto d = daemon_with_sources({s});
  auto row = wait_source(*d, s.slot, "retrying", "permission");
  INFO("row " << to_text(row));
  CHECK_FALSE(field_s(field_o(row, "error"), "message").empty());
  CHECK(pg.column("SELECT slot_name FROM pg_replication_slots").empty()); // nothing consumed
  // CREATE PUBLICATION also needs CREATE on the database (the first refusal above).
  pg.exec("ALTER ROLE plain REPLICATION; GRANT CREATE ON DATABASE postgres TO plain");
  wait_source(*d, s.slot, "streaming", "", 30s);
  auto g = gateway_client(*d, "acme", "postgres:products");
  pg.exec("INSERT INTO products VALUES (3, 'Desk', 120)");
  CHECK(field_o(next_object(g, 10s), "record").at("id") == json::value(3));
}
