#pragma once
// Helpers of the change-data source tests (test_sources*.cpp): a daemon configured with
// `sources`, GET /v1/sources and /metrics readings, gateway and SnackBase clients, and the
// checks every delivered change frame must pass. Real PostgreSQL (support/pg_server.hpp).
#include "fixture.hpp"
#include "support/pg_server.hpp"

#include <catch2/catch.hpp>

#include <time.h>


#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace sy::test {

/// One entry of the `sources` setting.
struct source_spec {
  std::string workspace = "acme";
  std::string dsn;
  std::string publication = "switchyard";
  std::string slot = "switchyard_acme";
  std::vector<std::string> tables{"products"};
  bool create_publication = true;
  bool create_slot = true;
  // Low, so a test sees the next attempt within a second or two (the key's minimum is 500).
  std::uint64_t retry_max_ms = 1000;
  std::uint64_t max_lag_bytes = 0; // 0: the default
};

inline std::string sources_json(const std::vector<source_spec>& specs) {
  json::array out;
  for (const auto& s : specs) {
    json::array tables;
    for (const auto& t : s.tables)
      tables.emplace_back(t);
    out.push_back(json::object{{"kind", "postgres"},
                               {"workspace", s.workspace},
                               {"dsn", s.dsn},
                               {"publication", s.publication},
                               {"slot", s.slot},
                               {"tables", std::move(tables)},
                               {"create_publication", s.create_publication},
                               {"create_slot", s.create_slot},
                               {"retry_max_ms", s.retry_max_ms}});
    if (s.max_lag_bytes > 0)
      out.back().as_object()["max_lag_bytes"] = s.max_lag_bytes;
  }
  return json::serialize(out);
}

/// A daemon with `specs` as its sources (SWITCHYARD_SOURCES) and `args` on its command line.
inline std::unique_ptr<daemon_process> daemon_with_sources(const std::vector<source_spec>& specs,
                                                           std::vector<std::string> args = {}) {
  return std::make_unique<daemon_process>(std::move(args),
                                          env_list{{"SWITCHYARD_SOURCES", sources_json(specs)}});
}

/// The GET /v1/sources row of source `id` (REQUIREs a 200 listing holding it).
inline json::object source_listing(const daemon_process& d, const std::string& id) {
  http_client h(d.port());
  auto r = h.request("GET", "/v1/sources", "", api_key_auth());
  INFO("GET /v1/sources -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  for (const auto& s : v.as_object().at("sources").as_array())
    if (s.is_object() && field_s(s.as_object(), "id") == id)
      return s.as_object();
  FAIL("source " << id << " is not listed");
  return {};
}

/// Polls GET /v1/sources until source `id` is in `state` (and, when given, its error has
/// `error_code`); REQUIREs that within `timeout`. Returns the last row.
inline json::object wait_source(const daemon_process& d, const std::string& id,
                                const std::string& state, const std::string& error_code = "",
                                std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  json::object row;
  for (;;) {
    row = source_listing(d, id);
    bool state_ok = field_s(row, "state") == state;
    bool error_ok = error_code.empty() || field_s(field_o(row, "error"), "code") == error_code;
    if (state_ok && error_ok)
      return row;
    if (std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(50ms);
  }
  INFO("last row: " << to_text(row));
  FAIL("source " << id << " did not reach state " << state << " " << error_code);
  return row;
}

/// The value of the /metrics sample `name{labels}` (labels exactly as printed, e.g.
/// `source="s1",state="retrying"`); -1 when absent.
inline double metric_sample(const daemon_process& d, const std::string& name,
                            const std::string& labels) {
  http_client h(d.port());
  auto r = h.request("GET", "/metrics");
  REQUIRE(r.status == 200);
  auto key = name + "{" + labels + "} ";
  auto at = r.body.find("\n" + key);
  if (at == std::string::npos)
    return -1;
  auto start = at + 1 + key.size();
  return std::stod(r.body.substr(start, r.body.find('\n', start) - start));
}

/// `promtool check metrics` on the daemon's scrape: empty when it accepts it.
inline std::string promtool_complaints(const daemon_process& d) {
  http_client h(d.port());
  auto r = h.request("GET", "/metrics");
  REQUIRE(r.status == 200);
  return promtool_complaints(r.body, d.data_dir());
}

inline std::string workspace_token(const std::string& sub, const std::string& workspace) {
  return token_for(sub, 3600, R"("workspaces":[")" + workspace + "\"]");
}

/// A gateway session on `workspace` subscribed to `channel` (with `filter`, raw JSON, when
/// given); REQUIREs the confirmation.
inline ws_client gateway_client(const daemon_process& d, const std::string& workspace,
                                const std::string& channel, const std::string& filter = "") {
  ws_client c;
  ws_connect_options o;
  o.headers = {{"Authorization", "Bearer " + workspace_token("gw", workspace)}};
  int status = c.connect(d.port(), "/workspaces/" + workspace + "/realtime/connect", o);
  INFO(c.last_error() << " " << c.refusal_body());
  REQUIRE(status == 101);
  std::string frame = R"({"type":"subscribe","channel":")" + channel + "\"";
  if (!filter.empty())
    frame += ",\"filter\":" + filter;
  REQUIRE(c.send_text(frame + "}"));
  auto ack = next_object(c);
  REQUIRE(field_s(ack, "type") == "subscribed");
  REQUIRE(field_s(ack, "channel") == channel);
  return c;
}

/// A SnackBase session (workspace `default`) subscribed to `collection`, every operation.
inline ws_client snackbase_client(const daemon_process& d, const std::string& collection) {
  ws_client c;
  int status =
    c.connect(d.port(), "/api/v1/realtime/ws?token=" + workspace_token("sb", "default"));
  INFO(c.last_error() << " " << c.refusal_body());
  REQUIRE(status == 101);
  REQUIRE(c.send_text(R"({"action":"subscribe","collection":")" + collection + "\"}"));
  auto ack = next_object(c);
  REQUIRE(field_s(ack, "status") == "subscribed");
  return c;
}

/// "2026-01-17T12:34:56.789Z" -> Unix ms; -1 when not in that shape.
inline std::int64_t iso_ms(const std::string& s) {
  if (!is_rfc3339_ms(s))
    return -1;
  std::tm tm{};
  if (!::strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm))
    return -1;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + std::stoi(s.substr(20, 3));
}

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// A change's LSN as PostgreSQL prints it: upper-case hex "X/X".
inline bool lsn_shaped(const std::string& s) {
  static const std::regex re("^[0-9A-F]+/[0-9A-F]+$");
  return std::regex_match(s, re);
}

/// "X/X" -> the 64-bit position (0 when not an LSN).
inline std::uint64_t lsn_value(const std::string& s) {
  if (!lsn_shaped(s))
    return 0;
  auto slash = s.find('/');
  return std::stoull(s.substr(0, slash), nullptr, 16) << 32 |
         std::stoull(s.substr(slash + 1), nullptr, 16);
}

/// Runs `sql` (one transaction unless it says otherwise) and returns the wall-clock window
/// around its commit, so a delivered timestamp can be checked against the commit time.
struct commit_window {
  std::int64_t before_ms = 0;
  std::int64_t after_ms = 0;
};
inline commit_window exec_timed(const pg_server& pg, const std::string& sql) {
  commit_window w;
  w.before_ms = wall_ms();
  pg.exec(sql);
  w.after_ms = wall_ms();
  return w;
}

/// The event's timestamp is the commit time: inside the commit's window, give or take a
/// second (the test and the server read the same clock; the second is rounding and slack).
inline void check_commit_time(const std::string& timestamp, const commit_window& w) {
  INFO("timestamp " << timestamp << " commit window [" << w.before_ms << ", " << w.after_ms
                    << "]");
  auto ms = iso_ms(timestamp);
  CHECK(ms >= w.before_ms - 1000);
  CHECK(ms <= w.after_ms + 1000);
}

/// Every delivered frame until `quiet` passes without one (bounded by `limit` frames).
inline std::vector<json::object> drain(ws_client& c, std::chrono::milliseconds quiet = 500ms,
                                       std::size_t limit = 10000) {
  std::vector<json::object> out;
  while (out.size() < limit) {
    auto v = c.read_json(quiet);
    if (!v.is_object())
      break;
    out.push_back(v.as_object());
  }
  return out;
}

/// GET /v1/channels/<channel>/events, every page (bounded): the stored events, oldest first.
inline std::vector<json::object> channel_history(const daemon_process& d,
                                                 const std::string& channel) {
  http_client h(d.port());
  std::vector<json::object> out;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto target = "/v1/channels/" + channel + "/events?limit=1000" +
                  (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = h.request("GET", target, "", api_key_auth());
    INFO(target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    auto v = parse_json(r.body);
    REQUIRE(v.is_object());
    for (const auto& e : v.as_object().at("events").as_array())
      out.push_back(e.as_object());
    if (!field_b(v.as_object(), "hasMore"))
      break;
    cursor = field_s(v.as_object(), "nextCursor");
  }
  return out;
}

} // namespace sy::test
