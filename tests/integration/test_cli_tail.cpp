// `switchyard tail` as a child process against a real daemon: one JSON line per event, scopes
// and --since, refusals, and a daemon killed with SIGKILL and restarted on the same store and
// port while tail runs (every event exactly once, in order).
#include "durable_support.hpp"
#include "support/cli_process.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>

using namespace sy::test;

namespace {

std::string url_of(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

constexpr auto following = "switchyard tail: following";

std::vector<json::object> events_of(const cli_process& t) {
  std::vector<json::object> out;
  for (const auto& line : t.out_lines()) {
    auto v = parse_json(line);
    INFO("line: " << line);
    REQUIRE(v.is_object());
    out.push_back(v.as_object());
  }
  return out;
}


} // namespace

TEST_CASE("cli: tail prints each event of its channels as one JSON line", "[integration][cli]") {
  daemon_process d;
  http_client h(d.port());
  cli_process t({"tail", "cli.a", "cli.b", "--url", url_of(d.port())});
  REQUIRE(t.wait_err(following, 5s));
  publish(h, "cli.a", R"({"data":{"i":1},"type":"t1","metadata":{"k":"v"}})");
  publish(h, "cli.other", R"({"data":{"i":2}})");
  publish(h, "cli.b", R"({"data":{"i":3},"idempotencyKey":"key-3"})");
  REQUIRE(t.wait_out_lines(2, 5s));
  auto evs = events_of(t);
  REQUIRE(evs.size() == 2);
  // The stored event, as REST returns it: no op/topic/snapshot of the WebSocket frame.
  CHECK(keys_of(evs[0]) == keys({"channel", "seq", "id", "timestamp", "type", "data", "metadata"}));
  CHECK(field_s(evs[0], "channel") == "cli.a");
  CHECK(field_s(evs[0], "type") == "t1");
  CHECK(to_text(evs[0]["metadata"]) == R"({"k":"v"})");
  CHECK(field_s(evs[1], "channel") == "cli.b");
  CHECK(field_s(evs[1], "idempotencyKey") == "key-3");
  // SIGTERM/SIGINT end it with 0.
  t.signal(SIGINT);
  CHECK(t.wait_exit(5s) == std::optional<int>(0));
}

TEST_CASE("cli: tail on a pattern prints the events of every matching channel",
          "[integration][cli]") {
  daemon_process d;
  http_client h(d.port());
  cli_process t({"tail", "cli.w*", "--url", url_of(d.port())});
  REQUIRE(t.wait_err(following, 5s));
  publish(h, "cli.w1", R"({"data":1})");
  publish(h, "cli.x", R"({"data":2})");
  publish(h, "cli.w2", R"({"data":3})");
  REQUIRE(t.wait_out_lines(2, 5s));
  auto evs = events_of(t);
  REQUIRE(evs.size() == 2);
  CHECK(field_s(evs[0], "channel") == "cli.w1");
  CHECK(field_s(evs[1], "channel") == "cli.w2");
  // A pattern has no history to resume from.
  auto r = run_switchyard({"tail", "cli.w*", "--since", "abc-1", "--url", url_of(d.port())});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("patterns have no history") != std::string::npos);
}

TEST_CASE("cli: tail applies --scopes and resumes --since a cursor", "[integration][cli]") {
  daemon_process d;
  http_client h(d.port());
  std::vector<std::string> ids;
  for (int i = 1; i <= 4; ++i)
    ids.push_back(field_s(publish(h, "cli.s", R"({"data":{"i":)" + std::to_string(i)
                                                + R"(},"metadata":{"user":")"
                                                + (i % 2 ? "u1" : "u2") + R"("}})"),
                          "id"));
  // Resume after the first event, only u1's: the third, then live ones.
  cli_process t({"tail", "cli.s", "--since", ids[0], "--scopes", R"({"user":"u1"})", "--url",
                 url_of(d.port())},
                {});
  REQUIRE(t.wait_err(following, 5s));
  publish(h, "cli.s", R"({"data":{"i":5},"metadata":{"user":"u2"}})");
  publish(h, "cli.s", R"({"data":{"i":6},"metadata":{"user":"u1"}})");
  REQUIRE(t.wait_out_lines(2, 5s));
  auto evs = events_of(t);
  REQUIRE(evs.size() == 2);
  CHECK(field_i(evs[0], "seq") == 3);
  CHECK(field_i(evs[1], "seq") == 6);
  CHECK(t.err().find("recovered:false") == std::string::npos);
}

TEST_CASE("cli: tail says on stderr when history no longer covers --since", "[integration][cli]") {
  daemon_process d({"--set", "history.size=2"});
  http_client h(d.port());
  std::vector<std::string> ids;
  for (int i = 1; i <= 5; ++i)
    ids.push_back(field_s(publish(h, "cli.gap", R"({"data":1})"), "id"));
  cli_process t({"tail", "cli.gap", "--since", ids[0], "--url", url_of(d.port())});
  REQUIRE(t.wait_err(following, 5s));
  CHECK(t.err().find("cli.gap") != std::string::npos);
  CHECK(t.err().find("recovered:false") != std::string::npos);
  REQUIRE(t.wait_out_lines(2, 5s)); // what is still retained: seq 4 and 5
  auto evs = events_of(t);
  CHECK(field_i(evs.front(), "seq") == 4);
}

TEST_CASE("cli: tail exits 2 when refused and 3 when nothing listens", "[integration][cli]") {
  daemon_process d({"--set", "auth.development=false"});
  {
    cli_process bad({"tail", "cli.r", "--url", url_of(d.port()), "--token", "not.a.jwt"});
    REQUIRE(bad.wait_exit(10s) == std::optional<int>(2));
    CHECK(bad.err().find("401") != std::string::npos);
  }
  {
    // A token for other channels: the subscription is refused with the server's code.
    auto minted = run_switchyard({"token", "--sub", "u", "--channels", "mine.*"});
    REQUIRE(minted.exit_code == 0);
    cli_process denied({"tail", "cli.r", "--url", url_of(d.port())},
                       {{"SWITCHYARD_TOKEN", minted.out.substr(0, minted.out.find('\n'))}});
    REQUIRE(denied.wait_exit(10s) == std::optional<int>(2));
    CHECK(denied.err().find("scope_denied") != std::string::npos);
  }
  cli_process nobody({"tail", "cli.r", "--url", url_of(free_port())});
  REQUIRE(nobody.wait_exit(10s) == std::optional<int>(3));
  CHECK(nobody.err().find("cannot connect") != std::string::npos);
}

TEST_CASE("cli: tail survives the daemon killed and restarted, every event once in order",
          "[integration][cli][durable]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  const auto port = free_port();
  const std::vector<std::string> node{"--listen", "127.0.0.1:" + std::to_string(port), "--set",
                                      "storage.engine=rocksdb", "--set",
                                      "storage.dir=" + dir.path + "/store"};
  auto first = std::make_unique<daemon_process>(node);
  // A channel that already has events, one that gets its first only after the restart.
  http_client h(port);
  int published = 0;
  publish(h, "cli.k", R"({"data":{"n":)" + std::to_string(++published) + "}}");
  cli_process t({"tail", "cli.k", "cli.late", "--url", url_of(port)});
  REQUIRE(t.wait_err(following, 5s));
  // A burst, then SIGKILL at once: some of it may not have reached tail before the kill.
  for (int i = 0; i < 40; ++i)
    publish(h, "cli.k", R"({"data":{"n":)" + std::to_string(++published) + "}}");
  first->terminate(SIGKILL);
  REQUIRE(first->wait_exit(5s));
  first.reset();
  daemon_process second(node);
  REQUIRE(second.port() == port);
  http_client h2(port);
  REQUIRE(t.wait_err("reconnected", 10s));
  for (int i = 0; i < 20; ++i) {
    publish(h2, "cli.k", R"({"data":{"n":)" + std::to_string(++published) + "}}");
    publish(h2, "cli.late", R"({"data":{"late":)" + std::to_string(i) + "}}");
  }
  // The first event was published before tail started: not printed (no --since).
  const std::size_t expected = static_cast<std::size_t>(published - 1) + 20;
  INFO("stderr of tail:\n" << t.err());
  REQUIRE(t.wait_out_lines(expected, 15s));
  std::this_thread::sleep_for(300ms); // nothing more may come
  auto evs = events_of(t);
  REQUIRE(evs.size() == expected);
  std::int64_t k = 1, late = 0;
  for (auto& e : evs) {
    if (field_s(e, "channel") == "cli.k") {
      CHECK(field_i(e, "seq") == ++k);
      CHECK(field_i(field_o(e, "data"), "n") == k);
    } else {
      CHECK(field_s(e, "channel") == "cli.late");
      CHECK(field_i(e, "seq") == ++late);
    }
  }
  CHECK(k == published);
  CHECK(late == 20);
  CHECK(t.err().find("recovered:false") == std::string::npos);
}
