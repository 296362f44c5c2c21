// WebSocket conformance, Autobahn|Testsuite server sections 1-4 (framing, pings/pongs, reserved
// bits, opcodes) as they apply to a server that is not an echo server: see ws_conformance.hpp.
// Sections 5 and 10: test_ws_conformance_fragments.cpp; 6: _utf8; 7: _close; 9: _limits.
// Each case runs on its own connection; one daemon per TEST_CASE.
#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;
using namespace sy::test::conformance;

// -- 1 framing --------------------------------------------------------------------------------

TEST_CASE("ws conformance: 1 framing text messages in every length form",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  { // 1.1.1: an empty text message is still a message: Fabric answers it
    INFO("1.1.1 empty text");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::text("")));
    auto f = c.read_frame();
    REQUIRE(f.has_value());
    CHECK(f->opcode == raw::op_text);
    CHECK(f->payload.find(R"("code":"bad_json")") != std::string::npos);
    REQUIRE(c.send(raw::text(ping_cmd)));
    expect_text(c, pong_reply);
  }
  // 1.1.2-1.1.7: both sides of the 7-bit/16-bit and 16-bit/64-bit boundaries, up to the limit
  for (std::size_t n : {125u, 126u, 127u, 128u, 65535u, 65536u}) {
    INFO("1.1.x text of " << n << " bytes");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::text(padded_ping(n))));
    expect_text(c, pong_reply);
  }
  { // 1.1.8: the same 64 KiB message written in 997-byte chops
    INFO("1.1.8 chopped");
    raw::client c;
    open(c, d);
    REQUIRE(c.send_chopped(raw::text(padded_ping(65536)), 997));
    expect_text(c, pong_reply);
  }
}

TEST_CASE("ws conformance: 1 framing binary messages close with 1003",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  for (std::size_t n : {0u, 125u, 126u, 127u, 128u, 65535u, 65536u}) { // 1.2.1-1.2.7
    INFO("1.2.x binary of " << n << " bytes");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::binary(std::string(n, '\xfe'))));
    auto r = expect_close(c, 1003);
    CHECK(r.reason == "binary frames are not supported");
  }
  INFO("1.2.8 binary chopped");
  raw::client c;
  open(c, d);
  REQUIRE(c.send_chopped(raw::binary(std::string(65536, '\xfe')), 997));
  expect_close(c, 1003);
}

TEST_CASE("ws conformance: 1 framing malformed headers fail with 1002",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  struct bad_header {
    const char* what;
    std::string bytes;
  };
  raw::frame_spec unmasked;
  unmasked.masked = false;
  raw::frame_spec form16;
  form16.form = raw::length_form::bits16;
  raw::frame_spec form64;
  form64.form = raw::length_form::bits64;
  raw::frame_spec msb;
  msb.declared_length = (std::uint64_t{1} << 63) | 13;
  const bad_header cases[] = {
    {"unmasked client frame", raw::frame(unmasked, ping_cmd)},
    {"16-bit length form for 13 bytes", raw::frame(form16, ping_cmd)},
    {"16-bit length form for 125 bytes", raw::frame(form16, padded_ping(125))},
    {"64-bit length form for 13 bytes", raw::frame(form64, ping_cmd)},
    {"64-bit length form for 65535 bytes", raw::frame(form64, padded_ping(65535))},
    {"64-bit length with the most significant bit set", raw::frame(msb, "")},
  };
  for (const auto& bad : cases) {
    INFO(bad.what);
    raw::client c;
    open(c, d);
    REQUIRE(c.send(bad.bytes + raw::text(ping_cmd))); // nothing after it is answered
    expect_close(c, 1002);
  }
}

// -- 2 pings and pongs ------------------------------------------------------------------------

TEST_CASE("ws conformance: 2 pings get pongs with the same payload",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  const std::string binary_payload("\x00\xff\xfe\xfd\xfc\xfb\x00\xff", 8);
  const std::string max_payload(125, '\xfe');
  struct ping_case {
    const char* what;
    std::string payload;
    std::size_t chop; // 0: one write
  };
  const ping_case cases[] = {
    {"2.1 empty ping", "", 0},
    {"2.2 text payload", "Hello, world!", 0},
    {"2.3 binary payload", binary_payload, 0},
    {"2.4 125-byte payload", max_payload, 0},
    {"2.6 125-byte payload written byte by byte", max_payload, 1},
  };
  for (const auto& pc : cases) {
    INFO(pc.what);
    raw::client c;
    open(c, d);
    auto frame = raw::ping(pc.payload);
    REQUIRE((pc.chop ? c.send_chopped(frame, pc.chop) : c.send(frame)));
    expect_pong(c, pc.payload);
  }
  {
    INFO("2.5 a ping of 126 bytes fails with 1002");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::ping(std::string(126, '\xfe'))));
    expect_close(c, 1002);
  }
  {
    INFO("2.7 2.8 unsolicited pongs are ignored");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::pong("") + raw::pong("unsolicited pong payload")));
    expect_quiet(c);
    REQUIRE(c.send(raw::text(ping_cmd)));
    expect_text(c, pong_reply);
  }
  {
    INFO("2.9 a pong then a ping gets one pong");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::pong("unsolicited pong payload") + raw::ping("ping payload")));
    expect_pong(c, "ping payload");
    expect_quiet(c);
  }
  {
    INFO("2.10 2.11 ten pings get ten pongs in order");
    for (std::size_t chop : {0u, 1u}) {
      INFO((chop ? "2.11 written byte by byte" : "2.10 one write"));
      raw::client c;
      open(c, d);
      std::string burst;
      for (int i = 0; i < 10; ++i)
        burst += raw::ping("payload-" + std::to_string(i));
      REQUIRE((chop ? c.send_chopped(burst, chop) : c.send(burst)));
      for (int i = 0; i < 10; ++i)
        expect_pong(c, "payload-" + std::to_string(i));
    }
  }
}

// -- 3 reserved bits --------------------------------------------------------------------------

namespace {

// A valid command answered first, so the reply is in before the bad frame arrives.
void answered_ping(raw::client& c) {
  REQUIRE(c.send(raw::text(ping_cmd)));
  expect_text(c, pong_reply);
}

raw::frame_spec with_rsv(std::uint8_t opcode, std::uint8_t rsv) {
  raw::frame_spec s;
  s.opcode = opcode;
  s.rsv = rsv;
  return s;
}

} // namespace

TEST_CASE("ws conformance: 3 reserved bits fail with 1002", "[integration][conformance]") {
  daemon_process d(suite_args());
  struct rsv_case {
    const char* what;
    raw::frame_spec spec;
    std::string payload;
    int delivery; // 0: one write, 1: byte by byte, 2: each frame its own write
  };
  const rsv_case cases[] = {
    {"3.1 text with RSV1", with_rsv(raw::op_text, 4), ping_cmd, 0},
    {"3.2 text with RSV2", with_rsv(raw::op_text, 2), ping_cmd, 0},
    {"3.3 text with RSV3, frame-wise", with_rsv(raw::op_text, 1), ping_cmd, 2},
    {"3.4 text with RSV1+RSV2, byte by byte", with_rsv(raw::op_text, 6), ping_cmd, 1},
    {"3.5 binary with RSV1+RSV3", with_rsv(raw::op_binary, 5), "\x01\x02", 0},
    {"3.6 ping with RSV2+RSV3", with_rsv(raw::op_ping, 3), "ping", 0},
    {"3.7 close with all RSV bits", with_rsv(raw::op_close, 7), std::string("\x03\xe8", 2), 0},
  };
  for (const auto& rc : cases) {
    INFO(rc.what);
    raw::client c;
    open(c, d);
    answered_ping(c);
    // The bad frame, then a ping: the ping must not be answered.
    auto bad = raw::frame(rc.spec, rc.payload);
    auto after = raw::ping("after");
    if (rc.delivery == 0)
      REQUIRE(c.send(bad + after));
    else if (rc.delivery == 1)
      REQUIRE(c.send_chopped(bad + after, 1));
    else
      REQUIRE((c.send(bad) && c.send(after)));
    expect_close(c, 1002);
  }
}

// -- 4 opcodes --------------------------------------------------------------------------------

TEST_CASE("ws conformance: 4 reserved opcodes fail with 1002", "[integration][conformance]") {
  daemon_process d(suite_args());
  // 4.1.1-4.1.5: non-control 3-7; 4.2.1-4.2.5: control 11-15. The first two of each group come
  // first thing, the others after an answered message; with and without a payload; a ping after
  // them is never answered.
  const std::uint8_t opcodes[] = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15};
  for (std::size_t i = 0; i < std::size(opcodes); ++i) {
    auto op = opcodes[i];
    INFO("4." << (op < 8 ? 1 : 2) << "." << (i % 5 + 1) << " opcode " << int(op));
    raw::client c;
    open(c, d);
    bool after_message = i % 5 >= 2;
    if (after_message)
      answered_ping(c);
    raw::frame_spec s;
    s.opcode = op;
    std::string payload = i % 5 == 0 || i % 5 == 2 ? "" : "reserved opcode payload";
    REQUIRE(c.send(raw::frame(s, payload) + raw::ping("after")));
    expect_close(c, 1002);
  }
}
