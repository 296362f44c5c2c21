// Quotas and connection hygiene (issue 4): each limit refuses with its documented code while
// the daemon keeps serving everyone else.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
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
  daemon_process d({"--set", "quota.max_channels=3"});
  http_client rest(d.port());
  for (const char* ch : {"c1", "c2", "c3"})
    CHECK(rest.request("POST", std::string("/v1/channels/") + ch + "/events", R"({"data":1})",
                       api_key_auth())
            .status == 201);
  auto res = rest.request("POST", "/v1/channels/c4/events", R"({"data":1})", api_key_auth());
  CHECK(res.status == 429);
  CHECK(error_code_of(res.body) == "quota_exceeded");
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

  // Hold three connections; the fourth is refused with 503.
  auto a = connected(d, "a");
  auto b = connected(d, "b");
  auto c = connected(d, "c");
  http_client extra(d.port());
  auto res = extra.request("GET", "/healthz", "", {});
  CHECK(res.status == 503);
  CHECK(error_code_of(res.body) == "too_many_connections");
  a.close();
  std::this_thread::sleep_for(300ms);
  http_client later(d.port());
  CHECK(later.request("GET", "/healthz", "", {}).status == 200);
}
