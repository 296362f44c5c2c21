// Session lifecycle: heartbeats, idle timeout, log.audit connect/disconnect, graceful shutdown.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

long ms_since(steady::time_point t) {
  return static_cast<long>(
    std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t).count());
}

} // namespace

TEST_CASE("heartbeats flow and idle clients are closed with 4002", "[integration][lifecycle]") {
  daemon_process d({"--set", "realtime.heartbeat_ms=300", "--set", "realtime.idle_timeout_ms=1500"});

  SECTION("silent client: heartbeat within ~1 s, then 4002 within ~3 s") {
    auto start = steady::now();
    auto c = connect_fabric(d, "silent");
    auto hb = next_object(c, 1200ms);
    INFO("first frame after " << ms_since(start) << " ms: " << to_text(hb));
    CHECK(keys_of(hb) == keys({"op", "timestamp"}));
    CHECK(field_s(hb, "op") == "heartbeat");
    CHECK(is_rfc3339_ms(field_s(hb, "timestamp")));

    std::size_t frames = 0;
    auto cs = c.wait_closed(3000ms - std::chrono::milliseconds(ms_since(start)), &frames);
    auto elapsed = ms_since(start);
    REQUIRE(cs.has_value());
    INFO("closed after " << elapsed << " ms: " << cs->code << " '" << cs->reason << "' " << cs->error
                         << ", heartbeats meanwhile: " << frames);
    CHECK(cs->code == 4002);
    CHECK(cs->reason == "idle_timeout");
    CHECK(elapsed >= 1400); // not before the idle timeout
    CHECK(frames >= 2);     // heartbeats kept coming while idle
  }

  SECTION("a client that pings every 300 ms stays open past 2 s") {
    auto c = connect_fabric(d, "pinger");
    auto start = steady::now();
    int pongs = 0;
    while (ms_since(start) < 2500) {
      REQUIRE(c.send_text(R"({"op":"ping"})"));
      auto until = steady::now() + 300ms;
      while (steady::now() < until) {
        auto v = c.read_json(std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()));
        if (v.is_object() && field_s(v.as_object(), "op") == "pong")
          ++pongs;
      }
      INFO("after " << ms_since(start) << " ms");
      REQUIRE(c.is_open());
    }
    CHECK(pongs >= 7);
    CHECK(c.is_open());
  }
}

TEST_CASE("log.audit reports connect and disconnect of other sessions to admins",
          "[integration][lifecycle]") {
  daemon_process d;
  // The client detail is admin-only; log.event carries the same records without it
  // (test_audit_scope.cpp).
  ws_client watcher;
  auto admin_token = token_for("watcher", 3600, R"("admin":true)");
  REQUIRE(watcher.connect(d.port(), "/realtime?token=" + admin_token) == 101);
  subscribe(watcher, {"log.audit"});

  ws_connect_options opts;
  opts.headers = {{"User-Agent", "sy-test-agent/1.0"}, {"Origin", "https://app.example"}};
  auto x = connect_fabric(d, "xavier", opts);
  subscribe(x, {"a", "b"});
  x.close(1000);

  json::object connect_ev, disconnect_ev;
  auto deadline = steady::now() + 5s;
  while ((connect_ev.empty() || disconnect_ev.empty()) && steady::now() < deadline) {
    auto v = watcher.read_json(2s);
    if (!v.is_object())
      break;
    auto& o = v.as_object();
    if (field_s(o, "op") != "event" || field_s(field_o(o, "data"), "sub") != "xavier")
      continue;
    if (field_s(o, "type") == "session.connect")
      connect_ev = o;
    else if (field_s(o, "type") == "session.disconnect")
      disconnect_ev = o;
  }
  INFO("connect: " << to_text(connect_ev));
  INFO("disconnect: " << to_text(disconnect_ev));
  REQUIRE_FALSE(connect_ev.empty());
  REQUIRE_FALSE(disconnect_ev.empty());
  CHECK(field_s(connect_ev, "topic") == "log.audit");
  CHECK(field_s(connect_ev, "channel") == "log.audit");

  auto& cd = field_o(connect_ev, "data");
  CHECK(keys_of(cd) == keys({"sessionId", "sub", "dialect", "remote", "origin", "userAgent"}));
  CHECK(field_s(cd, "dialect") == "fabric");
  CHECK(field_s(cd, "userAgent") == "sy-test-agent/1.0");
  CHECK(field_s(cd, "origin") == "https://app.example");
  CHECK(field_s(cd, "remote").rfind("127.0.0.1", 0) == 0);
  auto session = field_s(cd, "sessionId");
  CHECK(session != "<missing>");
  CHECK(field_s(field_o(connect_ev, "metadata"), "sessionId") == session);
  CHECK(field_s(field_o(connect_ev, "metadata"), "sub") == "xavier");

  auto& dd = field_o(disconnect_ev, "data");
  CHECK(keys_of(dd) == keys({"sessionId", "sub", "dialect", "code", "reason", "durationMs", "topics"}));
  CHECK(field_s(dd, "sessionId") == session);
  CHECK(field_i(dd, "code") == 1000);
  CHECK(field_i(dd, "durationMs") >= 0);
  CHECK(field_s(field_o(disconnect_ev, "metadata"), "sessionId") == session);
}

TEST_CASE("SIGTERM closes sessions with 1001 and exits 0", "[integration][lifecycle]") {
  daemon_process d;
  http_client rest(d.port());
  auto a = connect_fabric(d, "a");
  auto b = connect_fabric(d, "b");
  subscribe(a, {"x"});
  subscribe(b, {"x", "y"});
  publish(rest, "x", R"({"data":1})");
  CHECK(field_i(next_event(a), "seq") == 1);
  CHECK(field_i(next_event(b), "seq") == 1);

  auto start = steady::now();
  d.terminate(SIGTERM);
  for (auto* c : {&a, &b}) {
    auto cs = c->wait_closed(5s);
    REQUIRE(cs.has_value());
    INFO("close: " << cs->code << " '" << cs->reason << "' " << cs->error);
    CHECK(cs->code == 1001);
    CHECK(cs->reason == "server shutdown");
  }
  auto code = d.wait_exit(std::chrono::milliseconds(5000 - ms_since(start)));
  INFO("exit after " << ms_since(start) << " ms");
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}
