// The operator's log on stderr: connection open/close and auth refusal lines with their fields,
// log.format = json, the per-kind rate limit, and the ready line without WebSocket support.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <sstream>
#include <thread>

using namespace sy::test;

namespace {

using steady = std::chrono::steady_clock;

// The daemon's stderr, one entry per line.
std::vector<std::string> log_lines(const daemon_process& d) {
  auto all = d.log();
  auto at = all.find("--- stderr ---\n");
  std::vector<std::string> out;
  if (at == std::string::npos)
    return out;
  std::istringstream in(all.substr(at + 15));
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.push_back(line);
  return out;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Lines of the log that hold every one of `parts`, polled until one exists or `timeout`.
std::vector<std::string> wait_lines(const daemon_process& d, const std::vector<std::string>& parts,
                                    std::chrono::milliseconds timeout = 3s) {
  auto until = steady::now() + timeout;
  for (;;) {
    std::vector<std::string> hits;
    for (auto& line : log_lines(d)) {
      bool all = true;
      for (const auto& p : parts)
        all = all && contains(line, p);
      if (all)
        hits.push_back(line);
    }
    if (!hits.empty() || steady::now() >= until)
      return hits;
    std::this_thread::sleep_for(20ms);
  }
}

} // namespace

TEST_CASE("a connection open and close each log one line with their fields", "[integration][logs]") {
  daemon_process d;
  {
    auto c = connect_fabric(d, "alice");
    REQUIRE(c.send_text(R"({"op":"ping"})"));
    next_object(c);
    c.close(1000);
    c.wait_closed(2s);
  }
  auto open = wait_lines(d, {"connection open", "user=alice"});
  INFO(d.log());
  REQUIRE(open.size() == 1);
  CHECK(contains(open[0], "[info]"));
  CHECK(contains(open[0], "dialect=fabric"));
  CHECK(contains(open[0], "remote=127.0.0.1:"));
  auto closed = wait_lines(d, {"connection closed", "user=alice"});
  REQUIRE(closed.size() == 1);
  CHECK(contains(closed[0], "dialect=fabric"));
  CHECK(contains(closed[0], "remote=127.0.0.1:"));
  CHECK(contains(closed[0], "code=1000"));
  CHECK(contains(closed[0], "durationMs="));
}

TEST_CASE("an auth refusal logs its reason and never the token", "[integration][logs]") {
  daemon_process d;
  // Signed with another secret: the signature check refuses it.
  auto token = mint_jwt("not-the-test-secret", R"({"sub":"mallory","exp":)"
                                                   + std::to_string(unix_now() + 3600) + "}");
  ws_client c;
  REQUIRE(c.connect(d.port(), "/realtime?token=" + token) == 401);
  http_client rest(d.port());
  auto r = rest.request("GET", "/v1/channels/a/events", "", {{"Authorization", "Bearer " + token}});
  CHECK(r.status == 401);

  auto refused = wait_lines(d, {"auth refused", "dialect=rest"});
  INFO(d.log());
  REQUIRE(refused.size() == 1);
  CHECK(contains(refused[0], "reason="));
  CHECK(contains(refused[0], "remote=127.0.0.1:"));
  refused = wait_lines(d, {"auth refused", "dialect=fabric"});
  REQUIRE(refused.size() == 1);
  CHECK(contains(refused[0], "reason="));
  // No part of the token: not its header, claims or signature.
  auto log = d.log();
  std::size_t from = 0;
  for (int part = 0; part < 3; ++part) {
    auto dot = token.find('.', from);
    auto piece = token.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    CHECK_FALSE(contains(log, piece));
    from = dot + 1;
  }
}

TEST_CASE("log.format json writes one JSON object per line", "[integration][logs]") {
  daemon_process d({}, {{"SWITCHYARD_LOG_FORMAT", "json"}});
  {
    auto c = connect_fabric(d, "bob");
    c.close(1000);
    c.wait_closed(2s);
  }
  REQUIRE_FALSE(wait_lines(d, {"\"connection closed\""}).empty());
  auto lines = log_lines(d);
  INFO(d.log());
  REQUIRE(lines.size() >= 3); // ready, open, close at least
  json::object open, closed;
  for (const auto& line : lines) {
    INFO(line);
    auto v = parse_json(line);
    REQUIRE(v.is_object());
    const auto& o = v.get_object();
    CHECK(is_rfc3339_ms(field_s(o, "time")));
    CHECK(field_s(o, "level") != "<missing>");
    CHECK(field_s(o, "msg") != "<missing>");
    if (field_s(o, "kind") == "conn.open")
      open = o;
    if (field_s(o, "kind") == "conn.close")
      closed = o;
  }
  CHECK(field_s(open, "level") == "info");
  CHECK(field_s(open, "user") == "bob");
  CHECK(field_s(open, "dialect") == "fabric");
  CHECK(field_s(open, "remote").rfind("127.0.0.1:", 0) == 0);
  CHECK(field_i(closed, "code") == 1000);
  CHECK(field_i(closed, "durationMs") >= 0);
  CHECK(field_s(closed, "user") == "bob");
}

TEST_CASE("a burst of auth refusals is collapsed into a count", "[integration][logs]") {
  daemon_process d({"--set", "log.max_per_second=3"}, {{"SWITCHYARD_LOG_FORMAT", "json"}});
  http_client rest(d.port());
  constexpr int burst = 40;
  for (int i = 0; i < burst; ++i)
    REQUIRE(rest.request("GET", "/v1/channels/a/events", "", {{"Authorization", "Bearer wrong"}})
              .status == 401);
  // Every refusal is either a line or counted in a summary, and the summaries come without
  // another refusal to carry them (at most ~1.25 s after each window).
  auto until = steady::now() + 5s;
  std::int64_t written = 0, suppressed = 0;
  while (steady::now() < until) {
    written = suppressed = 0;
    for (const auto& line : log_lines(d)) {
      auto v = parse_json(line);
      if (!v.is_object() || field_s(v.get_object(), "kind") != "auth.refused")
        continue;
      if (v.get_object().contains("suppressed"))
        suppressed += field_i(v.get_object(), "suppressed");
      else
        ++written;
    }
    if (written + suppressed == burst)
      break;
    std::this_thread::sleep_for(50ms);
  }
  INFO(d.log());
  CHECK(written + suppressed == burst);
  CHECK(suppressed > 0);
  CHECK(written < burst / 2);
  auto summary = wait_lines(d, {"more suppressed", "auth.refused"});
  CHECK_FALSE(summary.empty());
}

TEST_CASE("a subscription over the topic limit logs a quota refusal", "[integration][logs]") {
  daemon_process d({}, {{"REALTIME_TOPIC_LIMIT", "1"}});
  auto c = connect_fabric(d, "greedy");
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":["q1","q2"]})"));
  next_object(c);
  next_object(c);
  auto refused = wait_lines(d, {"quota refused", "user=greedy"});
  INFO(d.log());
  REQUIRE(refused.size() == 1);
  CHECK(contains(refused[0], "topic=q2"));
  CHECK(contains(refused[0], "reason=\"subscription limit of 1 reached\""));
}

TEST_CASE("a cluster member coming up logs a membership line", "[integration][logs]") {
  auto port_a = free_port();
  auto port_b = free_port();
  daemon_process a({"--cluster-port", std::to_string(port_a)});
  daemon_process b({"--cluster-port", std::to_string(port_b), "--join",
                    "127.0.0.1:" + std::to_string(port_a)});
  auto up = wait_lines(a, {"cluster member up", "address=127.0.0.1:" + std::to_string(port_b),
                           "to=up"},
                       10s);
  INFO(a.log());
  CHECK(up.size() == 1);
}

TEST_CASE("REALTIME_ENABLED=0 logs no WebSocket endpoint as ready", "[integration][logs]") {
  daemon_process d({}, {{"REALTIME_ENABLED", "0"}});
  auto ready = wait_lines(d, {"ready:"});
  INFO(d.log());
  REQUIRE(ready.size() == 1);
  CHECK_FALSE(contains(ready[0], "ws://"));
  CHECK_FALSE(contains(ready[0], "/realtime"));
  CHECK(contains(ready[0], "WebSocket endpoints disabled"));
}

TEST_CASE("with realtime enabled the ready line names the WebSocket endpoint", "[integration][logs]") {
  daemon_process d;
  auto ready = wait_lines(d, {"ready:"});
  INFO(d.log());
  REQUIRE(ready.size() == 1);
  CHECK(contains(ready[0], "ws://127.0.0.1:" + std::to_string(d.port()) + "/realtime"));
}
