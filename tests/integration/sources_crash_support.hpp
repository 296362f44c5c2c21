#pragma once
// Helpers of the change-data crash tests (test_sources_crash.cpp): a background load of
// PostgreSQL inserts that survives a server restart, a Fabric subscriber that resumes from its
// last cursor wherever the test points it, and the whole history of a channel over REST.
// Threads never assert (Catch is not thread-safe): they record, the test checks.
#include "fixture.hpp"
#include "support/jwt_sign_pk.hpp" // temp_dir
#include "support/pg_server.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sy::test {

using steady = std::chrono::steady_clock;

/// The source of these tests: table `products` of `pg`, workspace acme, one slot; `id` (the
/// cluster places a source by it) defaults to the slot's name.
inline std::string crash_sources_setting(const pg_server& pg, const std::string& id = "") {
  return R"(sources=[{"kind":"postgres","workspace":"acme","dsn":")" + pg.dsn()
         + R"(","publication":"switchyard","slot":"sy_crash","tables":["products"],)"
         + (id.empty() ? std::string() : R"("id":")" + id + R"(",)")
         + R"("create_publication":true,"create_slot":true,"retry_max_ms":1000}])";
}
inline const std::string crash_channel = "ws.acme.postgres:products";

/// Serve arguments of a node with the source on the durable store in `store_dir`: history
/// large enough to keep every row of a test, so the whole history can be read back.
inline std::vector<std::string> crash_serve_args(const pg_server& pg, const std::string& store_dir) {
  return {"--set", "storage.engine=rocksdb", "--set", "storage.dir=" + store_dir,
          "--set", "history.size=20000", "--set", crash_sources_setting(pg)};
}

/// Inserts ids 1..txns*rows in `txns` transactions of `rows` rows from its own thread. A
/// transaction that fails (the server restarts) is retried until `retry_for` passes; ON
/// CONFLICT DO NOTHING makes a retry of a transaction that did commit harmless, so the
/// committed rows are exactly what the table holds at the end.
class pg_load {
public:
  pg_load(const pg_server& pg, int txns, int rows, std::chrono::milliseconds pause,
          std::chrono::seconds retry_for = 20s)
    : pg_load(pg, txns, rows, pause, insert_rows, retry_for) {
  }
  /// `step(first, last)` is the SQL of one step: it inserts ids first..last.
  using step_sql = std::string (*)(int first, int last);
  pg_load(const pg_server& pg, int steps, int rows, std::chrono::milliseconds pause,
          step_sql step, std::chrono::seconds retry_for = 20s)
    : pg_(pg), txns_(steps), rows_(rows), pause_(pause), retry_for_(retry_for), step_(step) {
    thread_ = std::thread([this] { run(); });
  }
  /// One transaction of rows first..last.
  static std::string insert_rows(int first, int last) {
    return "INSERT INTO products(id, name) SELECT g, 'p' || g FROM generate_series("
           + std::to_string(first) + ", " + std::to_string(last) + ") g ON CONFLICT DO NOTHING";
  }
  ~pg_load() {
    stop_ = true;
    join();
  }
  void join() {
    if (thread_.joinable())
      thread_.join();
  }
  int done_txns() const { return done_.load(); }
  int retries() const { return retries_.load(); }
  bool finished() const { return finished_.load(); }
  std::string error() const {
    std::lock_guard<std::mutex> g(mu_);
    return error_;
  }

private:
  void run() {
    for (int t = 0; t < txns_ && !stop_; ++t) {
      auto first = t * rows_ + 1;
      auto sql = step_(first, first + rows_ - 1);
      auto give_up = steady::now() + retry_for_;
      while (true) {
        try {
          pg_.exec(sql);
          break;
        } catch (const std::exception& e) {
          if (steady::now() > give_up || stop_) {
            std::lock_guard<std::mutex> g(mu_);
            error_ = e.what();
            return;
          }
          ++retries_;
          std::this_thread::sleep_for(50ms);
        }
      }
      ++done_;
      std::this_thread::sleep_for(pause_);
    }
    finished_ = true;
  }

  const pg_server& pg_;
  int txns_;
  int rows_;
  std::chrono::milliseconds pause_;
  std::chrono::seconds retry_for_;
  step_sql step_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> done_{0};
  std::atomic<int> retries_{0};
  mutable std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

/// The row ids PostgreSQL holds in `products` (what committed).
inline std::vector<std::int64_t> committed_ids(const pg_server& pg) {
  std::vector<std::int64_t> out;
  for (const auto& s : pg.column("SELECT id FROM products ORDER BY id"))
    out.push_back(std::stoll(s));
  return out;
}

/// data.record.id of a change event; -1 when absent.
inline std::int64_t row_id_of(const json::object& ev) {
  const auto& rec = field_o(field_o(ev, "data"), "record");
  auto it = rec.find("id");
  if (it == rec.end())
    return -1;
  if (it->value().is_int64())
    return it->value().get_int64();
  if (it->value().is_string())
    return std::stoll(std::string(it->value().get_string()));
  return -1;
}

/// A Fabric subscriber of one channel on its own thread. It connects to port() (0: wait),
/// subscribes, and after a lost connection subscribes again with `since` its last cursor.
class resuming_subscriber {
public:
  explicit resuming_subscriber(std::string channel) : channel_(std::move(channel)) {
    thread_ = std::thread([this] { run(); });
  }
  ~resuming_subscriber() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  void point_at(std::uint16_t port) { port_ = port; }
  std::size_t received() const { return received_.load(); }
  int sessions() const { return sessions_.load(); }
  /// Ids received, in order; problems seen (a resume not recovered, an error frame...).
  std::vector<std::int64_t> ids() const {
    std::lock_guard<std::mutex> g(mu_);
    return ids_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard<std::mutex> g(mu_);
    return problems_;
  }
  /// Whether a session is subscribed right now.
  bool subscribed() const { return subscribed_.load(); }

private:
  void note(std::string p) {
    std::lock_guard<std::mutex> g(mu_);
    problems_.push_back(std::move(p));
  }
  void run() {
    const auto token = token_for("crash-sub", 3600, R"("channels":["ws.acme.*"])");
    while (!stop_) {
      auto port = port_.load();
      ws_client c;
      if (port == 0 || c.connect(port, "/realtime?token=" + token) != 101) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      ++sessions_;
      std::string since;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (!cursor_.empty())
          since = R"(,"since":{")" + channel_ + R"(":")" + cursor_ + R"("})";
      }
      if (!c.send_text(R"({"op":"subscribe","topics":[")" + channel_ + "\"]" + since + "}"))
        continue;
      read_session(c, !since.empty());
      subscribed_ = false;
    }
  }
  void read_session(ws_client& c, bool resumed) {
    while (!stop_ && port_.load() != 0) {
      auto v = c.read_json(200ms);
      if (!v.is_object()) {
        if (c.closed())
          return;
        continue; // a quiet moment
      }
      const auto& o = v.as_object();
      auto op = field_s(o, "op");
      if (op == "subscribed") {
        if (resumed && !field_b(o, "recovered"))
          note("resume not recovered: " + to_text(v));
        subscribed_ = true;
      } else if (op == "event") {
        std::lock_guard<std::mutex> g(mu_);
        ids_.push_back(row_id_of(o));
        cursor_ = field_s(o, "id");
        ++received_;
      } else if (op != "heartbeat") {
        note("unexpected frame: " + to_text(v));
      }
    }
  }

  std::string channel_;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<std::size_t> received_{0};
  std::atomic<int> sessions_{0};
  mutable std::mutex mu_;
  std::vector<std::int64_t> ids_;
  std::string cursor_;
  std::vector<std::string> problems_;
  std::thread thread_;
};

/// Every event of `channel`'s history on the node at `port`, oldest first, read page by page
/// with nextCursor (bounded: 100 pages).
inline std::vector<json::object> whole_history(std::uint16_t port, const std::string& channel) {
  http_client h(port);
  std::vector<json::object> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto target = "/v1/channels/" + channel + "/events?limit=1000";
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    auto r = h.request("GET", target, "", api_key_auth());
    REQUIRE(r.status == 200);
    auto body = parse_json(r.body);
    REQUIRE(body.is_object());
    const auto& o = body.as_object();
    CHECK(field_b(o, "recovered", true));
    for (const auto& e : o.at("events").as_array())
      out.push_back(e.as_object());
    cursor = field_s(o, "nextCursor");
    if (!field_b(o, "hasMore"))
      return out;
  }
  FAIL("history of " << channel << " has more than 100 pages");
  return out;
}

/// GET /v1/sources on the node: its only row.
inline json::object source_row(std::uint16_t port) {
  http_client h(port);
  auto r = h.request("GET", "/v1/sources", "", api_key_auth());
  REQUIRE(r.status == 200);
  auto body = parse_json(r.body);
  REQUIRE(body.is_object());
  const auto& rows = body.as_object().at("sources").as_array();
  REQUIRE(rows.size() == 1);
  return rows[0].as_object();
}

/// lastSeq of the channel on the node; 0 when it is not live there.
inline std::int64_t last_seq(std::uint16_t port, const std::string& channel) {
  http_client h(port);
  auto r = h.request("GET", "/v1/channels/" + channel, "", api_key_auth());
  if (r.status != 200)
    return 0;
  auto body = parse_json(r.body);
  return body.is_object() ? field_i(body.as_object(), "lastSeq") : 0;
}

/// How often each id occurs in `ids`.
inline std::map<std::int64_t, int> id_counts(const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, int> m;
  for (auto id : ids)
    ++m[id];
  return m;
}

} // namespace sy::test
