// The HTTP limits as pure bookkeeping: who gets a connection (per address, in total, the
// loopback reserve), how many reply bytes may wait, which WebSocket keys are keys, and what a
// reserve connection may ask for.
#include <catch2/catch.hpp>

#include "net/io/conn_admission.hpp"
#include "net/http/http_refusals.hpp"
#include "net/io/reply_budget.hpp"

using namespace sy;
namespace ip = boost::asio::ip;

namespace {

ip::address addr(const char* s) {
  return ip::make_address(s);
}

} // namespace

TEST_CASE("admission: per address, in total, and the loopback reserve", "[unit][http]") {
  conn_admission a({/*max_connections*/ 5, /*max_per_address*/ 2, /*loopback_reserve*/ 2});
  const auto far = addr("10.0.0.1");
  CHECK(a.admit(far).kind == admission::served);
  CHECK(a.admit(far).kind == admission::served);
  CHECK(a.admit(far).kind == admission::refused_address); // not loopback: no reserve
  CHECK(a.served_from(far) == 2);
  // The same client through a dual-stack listener is the same address.
  CHECK(a.admit(addr("::ffff:10.0.0.1")).kind == admission::refused_address);
  const auto lo = addr("127.0.0.1");
  CHECK(a.admit(lo).kind == admission::served);
  CHECK(a.admit(lo).kind == admission::served);
  auto r = a.admit(lo); // over its address limit: the reserve
  CHECK(r.kind == admission::reserve_address);
  CHECK_FALSE(r.evict_oldest_reserve);
  CHECK(a.admit(addr("10.0.0.2")).kind == admission::served); // the fifth
  CHECK(a.admit(addr("10.0.0.3")).kind == admission::refused_total);
  auto t = a.admit(addr("::1"));
  CHECK(t.kind == admission::reserve_total);
  CHECK(t.evict_oldest_reserve == false); // second of two reserve places
  auto u = a.admit(addr("127.0.0.9"));
  CHECK(u.kind == admission::reserve_total);
  CHECK(u.evict_oldest_reserve); // the reserve is full: the oldest gives way
  CHECK(a.reserved() == 3);
  a.release(addr("127.0.0.9"), u.kind);
  a.release(lo, r.kind);
  CHECK(a.reserved() == 1);
  // Leaving frees the place; refusals held none.
  a.release(far, admission::served);
  a.release(far, admission::refused_address);
  CHECK(a.served_from(far) == 1);
  CHECK(a.served() == 4);
  CHECK(a.admit(addr("10.0.0.3")).kind == admission::served);
}

TEST_CASE("admission: a zero reserve refuses loopback like any address", "[unit][http]") {
  conn_admission a({1, 1, 0});
  CHECK(a.admit(addr("127.0.0.1")).kind == admission::served);
  CHECK(a.admit(addr("127.0.0.1")).kind == admission::refused_total);
}

TEST_CASE("reply budget: small replies always, large ones while the total has room",
          "[unit][http]") {
  reply_budget b(/*per_connection*/ 100, /*total*/ 1000);
  reply_charge one(b), two(b), three(b);
  CHECK(one.begin(600));   // large, fits
  CHECK(b.pending() == 600);
  CHECK_FALSE(two.begin(500)); // 600 + 500 > 1000: 503 busy
  CHECK(three.begin(100)); // small: always, and not charged until it waits
  CHECK(b.pending() == 600);
  three.settle(80);        // the socket took 20 bytes; 80 wait
  CHECK(b.pending() == 680);
  one.settle(200);         // the socket took 400
  CHECK(b.pending() == 280);
  CHECK(two.begin(500));
  CHECK(b.pending() == 780);
  two.settle(0);
  one.settle(0);
  CHECK(b.pending() == 80);
  {
    reply_charge gone(b);
    CHECK_FALSE(gone.begin(5000)); // larger than the total while 80 bytes wait
  }
  CHECK(b.pending() == 80);
  three.settle(0);
  reply_charge huge(b);
  CHECK(huge.begin(5000)); // nothing waits: a reply of any size can reach a reader
  CHECK(b.pending() == 5000);
}

TEST_CASE("websocket keys: the base64 of exactly 16 bytes", "[unit][http]") {
  CHECK(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(valid_websocket_key("/+9azAZ09azAZ09azAZ09w=="));
  CHECK_FALSE(valid_websocket_key(""));
  CHECK_FALSE(valid_websocket_key("abc"));
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ"));    // no padding
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZR=="));  // stray bits: not canonical
  CHECK_FALSE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAAA="));  // 17 bytes
  CHECK_FALSE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAA"));      // 15 bytes
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ!="));
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25j ZQ=="));
  CHECK(handshake_refusal("dGhlIHNhbXBsZSBub25jZQ==", "13") == std::nullopt);
  CHECK(handshake_refusal("abc", "13")->status == 400);
  CHECK(handshake_refusal("dGhlIHNhbXBsZSBub25jZQ==", "8")->status == 400);
}

TEST_CASE("admission refusals: what each kind of connection may ask", "[unit][http]") {
  auto req = [](const char* method, const char* target, bool upgrade = false) {
    http_request r;
    r.method = method;
    r.target = target;
    r.websocket_upgrade = upgrade;
    return r;
  };
  CHECK_FALSE(admission_refusal(admission::served, nullptr));
  CHECK_FALSE(admission_refusal(admission::reserve_total, nullptr));
  CHECK(admission_refusal(admission::refused_total, nullptr)->status == 503);
  auto addr = admission_refusal(admission::refused_address, nullptr);
  REQUIRE(addr);
  CHECK(addr->body.find("http.max_connections_per_ip") != std::string::npos);
  auto healthz = req("GET", "/healthz");
  auto metrics = req("GET", "/metrics?format=prometheus");
  auto page = req("GET", "/v1/channels/a/events");
  auto post = req("POST", "/healthz");
  auto ws = req("GET", "/healthz", true);
  for (auto kind : {admission::reserve_total, admission::reserve_address}) {
    CHECK_FALSE(admission_refusal(kind, &healthz));
    CHECK_FALSE(admission_refusal(kind, &metrics));
    CHECK(admission_refusal(kind, &page)->status == 503);
    CHECK(admission_refusal(kind, &post)->status == 503);
    CHECK(admission_refusal(kind, &ws)->status == 503);
  }
  CHECK_FALSE(admission_refusal(admission::served, &page));
}
