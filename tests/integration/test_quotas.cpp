// Quotas and connection hygiene: each limit refuses with its documented code while
// the daemon keeps serving everyone else.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

using namespace sy::test;

namespace {

// Connects and waits until the server has certainly seen the session (a pong came back).
ws_client connected(const daemon_process& d, const std::string& sub) {
  auto c = connect_fabric(d, sub);
  c.send_text(R"({"op":"ping"})");
  CHECK(to_text(next_object(c)) == R"({"op":"pong"})");
  return c;
}

} // namespace

TEST_CASE("connections per user and per address are limited with 4008", "[integration][quota]") {
  SECTION("per user") {
    daemon_process d({"--set", "quota.max_connections_per_user=2"});
    auto a = connected(d, "same");
    auto b = connected(d, "same");
    auto c = connect_fabric(d, "same");
    auto cs = c.wait_closed(3s);
    REQUIRE(cs.has_value());
    CHECK(cs->code == 4008);
    CHECK(cs->reason.rfind("quota_exceeded", 0) == 0);
    auto other = connected(d, "someone-else"); // other users are not affected
    // a slot frees when a session leaves
    a.close();
    std::this_thread::sleep_for(300ms);
    auto again = connected(d, "same");
    CHECK(again.is_open());
  }
  SECTION("per address") {
    daemon_process d({"--set", "quota.max_connections_per_ip=2"});
    auto a = connected(d, "u1");
    auto b = connected(d, "u2");
    auto c = connect_fabric(d, "u3");
    auto cs = c.wait_closed(3s);
    REQUIRE(cs.has_value());
    CHECK(cs->code == 4008);
  }
}

TEST_CASE("inbound frames per second are limited with 4008", "[integration][quota]") {
  daemon_process d({"--set", "realtime.max_frames_per_s=10"});
  auto calm = connected(d, "calm");
  auto c = connect_fabric(d, "chatty");
  for (int i = 0; i < 30; ++i)
    if (!c.send_text(R"({"op":"ping"})"))
      break;
  auto cs = c.wait_closed(3s);
  REQUIRE(cs.has_value());
  CHECK(cs->code == 4008);
  calm.send_text(R"({"op":"ping"})");
  CHECK(to_text(next_object(calm)) == R"({"op":"pong"})");
}

TEST_CASE("live channels per node are limited", "[integration][quota]") {
  // log.event and log.audit (the daemon's own channels) count like any other channel.
  daemon_process d({"--set", "quota.max_channels=3"});
  http_client rest(d.port());
  std::vector<int> statuses;
  std::string last_body;
  for (int i = 1; i <= 5; ++i) {
    auto res = rest.request("POST", "/v1/channels/c" + std::to_string(i) + "/events",
                            R"({"data":1})", api_key_auth());
    statuses.push_back(res.status);
    if (res.status != 201)
      last_body = res.body;
  }
  INFO("statuses: " << statuses[0] << " " << statuses[1] << " " << statuses[2] << " "
                    << statuses[3] << " " << statuses[4]);
  CHECK(statuses[0] == 201);
  CHECK(statuses[4] == 429); // at most 3 live channels, whatever the daemon made itself
  CHECK(error_code_of(last_body) == "quota_exceeded");
  for (std::size_t i = 1; i < statuses.size(); ++i)
    if (statuses[i - 1] == 429)
      CHECK(statuses[i] == 429); // once full, every new channel is refused
  // existing channels keep working
  CHECK(rest.request("POST", "/v1/channels/c1/events", R"({"data":2})", api_key_auth()).status
        == 201);
}

TEST_CASE("REALTIME_ORIGINS accepts one wildcard label", "[integration][quota]") {
  daemon_process d({}, {{"REALTIME_ORIGINS", "https://*.example.com, https://exact.test"}});
  auto target = "/realtime?token=" + token_for("o");
  auto status = [&](const std::string& origin) {
    ws_client c;
    ws_connect_options opts;
    opts.headers = {{"Origin", origin}};
    int s = c.connect(d.port(), target, opts);
    if (s == 101)
      c.close();
    return s;
  };
  CHECK(status("https://a.example.com") == 101);
  CHECK(status("https://a.b.example.com") == 101);
  CHECK(status("https://exact.test") == 101);
  CHECK(status("https://example.com") == 403);
  CHECK(status("https://evil.com") == 403);
  CHECK(status("https://a.example.com.evil.com") == 403);
  CHECK(status("http://a.example.com") == 403);
}

TEST_CASE("max connections and the handshake timeout", "[integration][quota]") {
  daemon_process d({"--set", "http.max_connections=3", "--set", "http.handshake_timeout_ms=500"});
  // A slowloris client: connects, sends half a request line, then nothing.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(d.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, "GET /healthz HT", 15, 0) == 15);
  timeval tv{3, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto t0 = std::chrono::steady_clock::now();
  char buf[256];
  auto n = ::recv(fd, buf, sizeof buf, 0); // the server must drop it: EOF (0) or reset (-1)
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(n <= 0);
  CHECK(waited < 2500ms);
  ::close(fd);

  // Hold three connections; the fourth is refused with 503 (a loopback client may still ask
  // for /healthz through http.loopback_reserve).
  auto a = connected(d, "a");
  auto b = connected(d, "b");
  auto c = connected(d, "c");
  http_client extra(d.port());
  auto res = extra.request("GET", "/v1/channels/x/events", "", api_key_auth());
  CHECK(res.status == 503);
  CHECK(error_code_of(res.body) == "too_many_connections");
  http_client probe(d.port());
  CHECK(probe.request("GET", "/healthz", "", {}).status == 200);
  a.close();
  std::this_thread::sleep_for(300ms);
  http_client later(d.port());
  CHECK(later.request("GET", "/healthz", "", {}).status == 200);
}

TEST_CASE("audit trail: log.event, console.realtime.* for admins, JSON-lines file",
          "[integration][audit]") {
  auto path = "/tmp/switchyard-audit-" + std::to_string(::getpid()) + ".jsonl";
  std::remove(path.c_str());
  daemon_process d({"--set", "audit.file=" + path});
  // An admin watches the gateway audit topic; a plain token may not.
  ws_client admin;
  REQUIRE(admin.connect(d.port(), "/realtime?token=" + token_for("root", 3600, R"("admin":true)"))
          == 101);
  auto conf = subscribe(admin, {"console.realtime.auth-granted", "console.realtime.auth-denied"});
  CHECK(conf.size() == 2);
  auto plain = connect_fabric(d, "plain");
  plain.send_text(R"({"op":"subscribe","topics":["console.realtime.auth-denied"]})");
  CHECK(field_s(next_object(plain), "code") == "scope_denied");
  // A wildcard the plain token may hold must not carry the admin-only channels either.
  subscribe(plain, {"console.*"});

  // A refused upgrade and a granted one.
  ws_client bad;
  CHECK(bad.connect(d.port(), "/realtime?token=not.a.token") == 401);
  auto good = connect_fabric(d, "granted-user");

  bool saw_denied = false, saw_granted = false;
  for (int i = 0; i < 6 && !(saw_denied && saw_granted); ++i) {
    auto ev = next_event(admin);
    INFO(to_text(ev));
    auto type = field_s(ev, "type");
    if (type == "auth.denied") {
      saw_denied = true;
      CHECK(field_s(ev, "channel") == "console.realtime.auth-denied");
      CHECK(to_text(ev).find("not.a.token") == std::string::npos); // never the token
    }
    if (type == "auth.granted" && field_s(field_o(ev, "data"), "sub") == "granted-user")
      saw_granted = true;
  }
  CHECK(saw_denied);
  CHECK(saw_granted);
  expect_silence(plain);

  // The same records are in the file, one JSON object per line.
  std::this_thread::sleep_for(200ms);
  std::FILE* f = std::fopen(path.c_str(), "r");
  REQUIRE(f != nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    text.append(buf, n);
  std::fclose(f);
  std::remove(path.c_str());
  CHECK(text.find(R"("type":"config.loaded")") != std::string::npos);
  CHECK(text.find(R"("type":"auth.denied")") != std::string::npos);
  CHECK(text.find(R"("sub":"granted-user")") != std::string::npos);
  CHECK(text.find("not.a.token") == std::string::npos);
  CHECK(text.find("test-secret") == std::string::npos);
  for (std::size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1)
    CHECK(parse_json(text.substr(pos, nl - pos)).is_object());
}

TEST_CASE("require_namespace: channels outside every namespace are unavailable",
          "[integration][quota]") {
  daemon_process d({"--set", "channel.require_namespace=1", "--set",
                    R"(namespaces=[{"prefix":"orders.","history_size":10,"snapshot":0}])"});
  http_client rest(d.port());
  CHECK(rest.request("POST", "/v1/channels/orders.eu/events", R"({"data":1})", api_key_auth())
          .status == 201);
  auto res = rest.request("POST", "/v1/channels/payments/events", R"({"data":1})",
                          api_key_auth());
  CHECK(res.status == 404);
  CHECK(error_code_of(res.body) == "channel_unavailable");
  auto c = connect_fabric(d, "ns");
  c.send_text(R"({"op":"subscribe","topics":["payments"]})");
  auto err = next_object(c);
  CHECK(field_s(err, "code") == "channel_unavailable");
  CHECK(field_s(err, "topic") == "payments");
  subscribe(c, {"orders.eu"});
}
