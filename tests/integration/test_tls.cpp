// TLS: with tls.cert_file/tls.key_file set the listener speaks TLS only. A certificate
// is made per test case with the openssl CLI. Refusals are a class of their own: plain HTTP gets
// 400 tls_required, an untrusting client fails its handshake, a stalled handshake is dropped by
// http.handshake_timeout_ms -- and the daemon keeps serving everyone else.
#include "fixture.hpp"
#include "support/tls_clients.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

using namespace sy::test;

namespace {

using steady = std::chrono::steady_clock;

std::vector<std::string> tls_flags(const test_certificate& cert,
                                   std::initializer_list<std::string> more = {}) {
  std::vector<std::string> out{"--set", "tls.cert_file=" + cert.cert_file(), "--set",
                               "tls.key_file=" + cert.key_file()};
  for (auto& s : more) {
    out.push_back("--set");
    out.push_back(s);
  }
  return out;
}

tls_client_options trusting(const test_certificate& cert) {
  tls_client_options o;
  o.ca_file = cert.cert_file();
  return o;
}

wss_client connect_wss(const daemon_process& d, const test_certificate& cert,
                       const std::string& token, tls_client_options opts = {}) {
  opts.ca_file = cert.cert_file();
  wss_client c;
  int status = c.connect(d.port(), "/realtime?token=" + token, opts);
  INFO("wss upgrade: " << status << " " << c.last_error());
  REQUIRE(status == 101);
  return c;
}

void subscribe_wss(wss_client& c, const std::string& topic) {
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":[")" + topic + "\"]}"));
  auto v = c.read_json(3s);
  INFO("subscribe answer: " << to_text(v));
  REQUIRE(v.is_object());
  CHECK(field_s(v.as_object(), "op") == "subscribed");
}

int publish_https(const daemon_process& d, const test_certificate& cert, const std::string& channel,
                  const std::string& body) {
  auto res = https_request(d.port(), trusting(cert), "POST", "/v1/channels/" + channel + "/events",
                           body, api_key_auth());
  INFO("publish: " << res.status << " " << res.body);
  return res.status;
}

bool healthz_ok(const daemon_process& d, const test_certificate& cert) {
  return https_request(d.port(), trusting(cert), "GET", "/healthz").status == 200;
}

int tcp_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Milliseconds until the server ends the connection (EOF or reset), or -1 after `limit`.
std::int64_t ms_until_dropped(int fd, std::chrono::milliseconds limit) {
  auto start = steady::now();
  auto deadline = start + limit;
  char buf[512];
  while (steady::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 1))) <= 0)
      continue;
    if (::recv(fd, buf, sizeof buf, 0) <= 0)
      return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
  }
  return -1;
}

} // namespace

TEST_CASE("tls: wss subscribe and https publish deliver events, https healthz works",
          "[integration][tls]") {
  test_certificate cert;
  daemon_process d(tls_flags(cert));
  CHECK(d.log().find("listening on 127.0.0.1:" + std::to_string(d.port()) + " (tls)")
        != std::string::npos);

  auto health = https_request(d.port(), trusting(cert), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(parse_json(health.body).is_object());

  auto c = connect_wss(d, cert, token_for("alice"));
  subscribe_wss(c, "secure.a");
  // Several events, one of them larger than a TLS record (16 KB), arrive whole and in order.
  const std::string big(40000, 'z');
  REQUIRE(publish_https(d, cert, "secure.a", R"({"data":{"n":1}})") == 201);
  REQUIRE(publish_https(d, cert, "secure.a", R"({"data":{"big":")" + big + "\"}}") == 201);
  REQUIRE(publish_https(d, cert, "secure.a", R"({"data":{"n":3}})") == 201);
  for (int seq = 1; seq <= 3; ++seq) {
    auto v = c.read_json(3s);
    INFO("frame " << seq << ": " << to_text(v).substr(0, 200));
    REQUIRE(v.is_object());
    CHECK(field_s(v.as_object(), "op") == "event");
    CHECK(field_i(v.as_object(), "seq") == seq);
  }
  // A client message larger than our read buffer and a TLS record is reassembled.
  REQUIRE(c.send_text(R"({"op":"ping","pad":")" + std::string(30000, 'p') + "\"}"));
  auto pong = c.read_json(3s);
  INFO("answer: " << to_text(pong).substr(0, 200));
  REQUIRE(pong.is_object());

  // The client's close is echoed (1000) and the daemon still serves.
  c.close(1000);
  CHECK(c.closed().has_value());
  CHECK(healthz_ok(d, cert));
}

TEST_CASE("tls: plain HTTP and ws on the TLS port get 400 tls_required", "[integration][tls]") {
  test_certificate cert;
  daemon_process d(tls_flags(cert));
  auto watcher = connect_wss(d, cert, token_for("watcher"));
  subscribe_wss(watcher, "after");

  http_client plain(d.port());
  auto res = plain.request("GET", "/healthz");
  INFO("plain HTTP: " << res.status << " " << res.body);
  CHECK(res.status == 400);
  CHECK(error_code_of(res.body) == "tls_required");

  ws_client ws;
  CHECK(ws.connect(d.port(), "/realtime?token=" + token_for("plain")) == 400);
  CHECK(error_code_of(ws.refusal_body()) == "tls_required");

  // Garbage that is neither HTTP nor TLS just loses the connection.
  int fd = tcp_connect(d.port());
  ::send(fd, "\x00\x01\x02\x03garbage\r\n\r\n", 15, MSG_NOSIGNAL);
  CHECK(ms_until_dropped(fd, 3s) >= 0);
  ::close(fd);

  REQUIRE(publish_https(d, cert, "after", R"({"data":1})") == 201);
  auto ev = watcher.read_json(3s);
  REQUIRE(ev.is_object());
  CHECK(field_s(ev.as_object(), "op") == "event");
}

TEST_CASE("tls: a client that does not trust the certificate fails the handshake",
          "[integration][tls]") {
  test_certificate cert;
  test_certificate other; // a different self-signed CA
  daemon_process d(tls_flags(cert));

  tls_client_options no_ca; // verification on, nothing trusted
  wss_client c;
  CHECK(c.connect(d.port(), "/realtime?token=" + token_for("u"), no_ca) == 0);
  INFO("error: " << c.last_error());
  CHECK(c.last_error().find("certificate verify failed") != std::string::npos);

  tls_client_options wrong_ca;
  wrong_ca.ca_file = other.cert_file();
  auto res = https_request(d.port(), wrong_ca, "GET", "/healthz");
  INFO("https with the wrong CA: " << res.status << " " << res.body);
  CHECK(res.status == 0);
  CHECK(res.body.find("certificate verify failed") != std::string::npos);

  CHECK(healthz_ok(d, cert)); // nothing broke for trusting clients
}

TEST_CASE("tls: a stalled handshake is dropped after http.handshake_timeout_ms",
          "[integration][tls]") {
  test_certificate cert;
  daemon_process d(tls_flags(cert, {"http.handshake_timeout_ms=500"}));

  SECTION("connect and send nothing") {
    int fd = tcp_connect(d.port());
    auto ms = ms_until_dropped(fd, 4s);
    ::close(fd);
    INFO("dropped after " << ms << " ms");
    CHECK(ms >= 400);
    CHECK(ms <= 2500);
  }
  SECTION("a partial ClientHello") {
    int fd = tcp_connect(d.port());
    // Record header of a handshake record announcing 512 bytes, then 5 of them.
    const unsigned char hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03};
    ::send(fd, hello, sizeof hello, MSG_NOSIGNAL);
    auto ms = ms_until_dropped(fd, 4s);
    ::close(fd);
    INFO("dropped after " << ms << " ms");
    CHECK(ms >= 400);
    CHECK(ms <= 2500);
  }
  SECTION("a finished handshake and no request") {
    // The request deadline follows the handshake: TLS alone does not hold a connection open.
    auto ms = ms_until_dropped_after_handshake(d.port(), trusting(cert), 4s);
    INFO("dropped after " << ms << " ms");
    CHECK(ms >= 400);
    CHECK(ms <= 2500);
  }
  CHECK(healthz_ok(d, cert));
}

TEST_CASE("tls: 4001 on token expiry, 4009 for a slow consumer, 1001 on SIGTERM",
          "[integration][tls]") {
  test_certificate cert;
  daemon_process d(tls_flags(cert, {"auth.leeway_s=0", "realtime.outbound_queue_bytes=65536"}));

  auto expiring = connect_wss(d, cert, token_for("short", 2));
  subscribe_wss(expiring, "t.a");

  tls_client_options tiny;
  tiny.rcvbuf_bytes = 4096;
  auto slow = connect_wss(d, cert, token_for("slow"), tiny);
  subscribe_wss(slow, "bulk");
  auto healthy = connect_wss(d, cert, token_for("healthy"));
  subscribe_wss(healthy, "bulk");

  // The healthy subscriber reads on its own thread while the slow one stops reading.
  constexpr int total = 200;
  std::vector<std::int64_t> seqs;
  std::thread reader([&] {
    auto deadline = steady::now() + 60s;
    while (seqs.size() < static_cast<std::size_t>(total) && steady::now() < deadline) {
      auto v = healthy.read_json(5s);
      if (!v.is_object())
        break;
      if (field_s(v.as_object(), "op") == "event")
        seqs.push_back(field_i(v.as_object(), "seq"));
    }
  });
  const std::string blob(16 * 1024, 'b');
  int ok = 0;
  for (int i = 1; i <= total; ++i)
    ok += publish_https(d, cert, "bulk", R"({"data":")" + blob + "\"}") == 201;
  reader.join();
  CHECK(ok == total);
  CHECK(seqs.size() == static_cast<std::size_t>(total));

  std::size_t slow_frames = 0;
  auto sc = slow.wait_closed(15s, &slow_frames);
  REQUIRE(sc.has_value());
  INFO("slow: " << slow_frames << " frames, " << sc->code << " '" << sc->reason << "' "
                << sc->error);
  CHECK((sc->code == 4009 || sc->code == 1006));
  CHECK(slow_frames < static_cast<std::size_t>(total));

  auto ec = expiring.wait_closed(6s);
  REQUIRE(ec.has_value());
  CHECK(ec->code == 4001);
  CHECK(ec->reason == "token_expired");

  auto start = steady::now();
  d.terminate(SIGTERM);
  auto hc = healthy.wait_closed(5s);
  REQUIRE(hc.has_value());
  INFO("healthy: " << hc->code << " '" << hc->reason << "' " << hc->error);
  CHECK(hc->code == 1001);
  auto code = d.wait_exit(5s);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start).count();
  INFO("exit after " << ms << " ms");
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(ms < 3000);
}

TEST_CASE("tls: half-configured or unloadable TLS refuses to start", "[integration][tls]") {
  test_certificate cert;
  auto half = run_switchyard({"serve", "--listen", "127.0.0.1:0", "--set",
                              "tls.cert_file=" + cert.cert_file()});
  CHECK(half.exit_code == 2);
  CHECK(half.err.find("tls.cert_file and tls.key_file must be set together") != std::string::npos);

  // A key in place of a certificate: named, not served.
  auto swapped = run_switchyard({"serve", "--listen", "127.0.0.1:0", "--set",
                                 "tls.cert_file=" + cert.key_file(), "--set",
                                 "tls.key_file=" + cert.key_file()});
  CHECK(swapped.exit_code == 2);
  INFO(swapped.err);
  CHECK(swapped.err.find("tls.cert_file") != std::string::npos);
  CHECK(swapped.err.find(cert.key_file()) != std::string::npos);
  CHECK(swapped.out.find("listening") == std::string::npos);
}
