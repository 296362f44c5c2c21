// WebSocket conformance, Autobahn|Testsuite server section 7 (close handling), on a non-echo
// server: see ws_conformance.hpp. A valid close is answered with the client's code (1000 for a
// close without one), then the server ends TCP; a close frame with a code no endpoint may send
// fails with 1002, a reason that is not UTF-8 with 1007 -- never echoed.
#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;
using namespace sy::test::conformance;

namespace {

// Sends a command and waits for its answer, so that nothing is in flight before the close.
void answered_ping(raw::client& c) {
  REQUIRE(c.send(raw::text(ping_cmd)));
  expect_text(c, pong_reply);
}

} // namespace

TEST_CASE("ws conformance: 7 close handshake and what follows a close",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  { // 7.1.1
    INFO("7.1.1 a message, then a normal close");
    raw::client c;
    open(c, d);
    answered_ping(c);
    REQUIRE(c.send(raw::close(1000)));
    expect_close(c, 1000);
  }
  { // 7.1.2: the second close completes nothing more: the server just ends TCP
    INFO("7.1.2 two close frames");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::close(1000) + raw::close(1000)));
    expect_close(c, 1000);
  }
  { // 7.1.3, 7.1.4, 7.1.5: after the client's close nothing is answered
    struct after_close {
      const char* what;
      std::string bytes;
    };
    const after_close cases[] = {
      {"7.1.3 a ping after the close", raw::close(1000) + raw::ping("after close")},
      {"7.1.4 a message after the close", raw::close(1000) + raw::text(ping_cmd)},
      {"7.1.5 a close between the fragments of a message",
       raw::text(R"({"op":)", false) + raw::close(1000) + raw::continuation(R"("ping"})")},
    };
    for (const auto& ac : cases) {
      INFO(ac.what);
      raw::client c;
      open(c, d);
      REQUIRE(c.send(ac.bytes));
      expect_close(c, 1000);
    }
  }
  { // 7.1.6: commands in flight when the close arrives: some may be answered before the close
    // frame, none after it
    INFO("7.1.6 close behind a burst of commands");
    raw::client c;
    open(c, d);
    std::string burst;
    for (int i = 0; i < 50; ++i)
      burst += raw::text(ping_cmd);
    REQUIRE(c.send(burst + raw::close(1000)));
    auto r = read_close(c);
    CHECK(r.code == 1000);
    CHECK(r.after == 0);
    CHECK(r.eof);
    CHECK(r.before.size() <= 50);
    for (const auto& f : r.before)
      CHECK(f.payload == pong_reply);
  }
}

TEST_CASE("ws conformance: 7 close frame payloads", "[integration][conformance]") {
  daemon_process d(suite_args());
  struct payload_case {
    const char* what;
    std::string frame;
    int expect;
  };
  const std::string invalid_reason = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                                     "edited";
  raw::frame_spec oversize;
  oversize.opcode = raw::op_close;
  const payload_case cases[] = {
    {"7.3.1 empty close: answered with 1000", raw::close_payload(""), 1000},
    {"7.3.2 one-byte payload", raw::close_payload("\x03"), 1002},
    {"7.3.3 code 1000, no reason", raw::close(1000), 1000},
    {"7.3.4 code 1000 with a reason", raw::close(1000, "Hello World!"), 1000},
    {"7.3.5 code 1000 with a 123-byte reason", raw::close(1000, std::string(123, '*')), 1000},
    {"7.3.6 126-byte payload", raw::frame(oversize, "\x03\xe8" + std::string(124, '*')), 1002},
    {"7.5.1 reason that is not UTF-8", raw::close(1000, invalid_reason), 1007},
  };
  for (const auto& pc : cases) {
    INFO(pc.what);
    raw::client c;
    open(c, d);
    REQUIRE(c.send(pc.frame));
    auto r = expect_close(c, pc.expect);
    if (pc.expect == 1007)
      CHECK(r.reason == "invalid UTF-8 in close reason");
  }
}

TEST_CASE("ws conformance: 7 close codes a client may send are echoed",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  // 7.7.1-7.7.13, plus 1012-1014 (IANA-registered after RFC 6455)
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    INFO("close code " << code);
    raw::client c;
    open(c, d);
    answered_ping(c);
    REQUIRE(c.send(raw::close(static_cast<std::uint16_t>(code), "bye")));
    expect_close(c, code);
  }
}

TEST_CASE("ws conformance: 7 invalid close codes fail with 1002 and are never echoed",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  // 7.9.1-7.9.9 and 7.13.1-7.13.2: reserved, never-on-the-wire, unassigned and out of range
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    INFO("close code " << code);
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::close(static_cast<std::uint16_t>(code))));
    auto r = expect_close(c, 1002);
    CHECK(r.reason == "invalid close code");
  }
}
