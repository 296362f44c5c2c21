// WebSocket conformance, Autobahn|Testsuite server sections 5 (fragmentation) and 10 (misc:
// auto-fragmentation), on a non-echo server: see ws_conformance.hpp.
#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace sy::test;
using namespace sy::test::conformance;

// -- 5 fragmentation --------------------------------------------------------------------------

TEST_CASE("ws conformance: 5 fragmentation control frames must not be fragmented",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  for (auto op : {raw::op_ping, raw::op_pong}) { // 5.1, 5.2
    INFO((op == raw::op_ping ? "5.1 ping in two fragments" : "5.2 pong in two fragments"));
    raw::client c;
    open(c, d);
    raw::frame_spec first;
    first.opcode = op;
    first.fin = false;
    raw::frame_spec second;
    second.opcode = raw::op_continuation;
    REQUIRE(c.send(raw::frame(first, "frag1") + raw::frame(second, "frag2")));
    expect_close(c, 1002);
  }
}

TEST_CASE("ws conformance: 5 fragmentation text is reassembled around pings",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  const std::string part1 = R"({"op":)";
  const std::string part2 = R"("ping"})";
  const std::string plain = raw::text(part1, false) + raw::continuation(part2);
  const std::string with_ping =
    raw::text(part1, false) + raw::ping("between") + raw::continuation(part2);
  struct frag_case {
    const char* what;
    const std::string& bytes;
    bool ping;
    int delivery; // 0: one write, 1: byte by byte, 2: each frame its own write
  };
  const frag_case cases[] = {
    {"5.3 two fragments", plain, false, 0},
    {"5.4 two fragments byte by byte", plain, false, 1},
    {"5.5 two fragments frame-wise", plain, false, 2},
    {"5.6 a ping between the fragments", with_ping, true, 0},
    {"5.7 a ping between the fragments byte by byte", with_ping, true, 1},
    {"5.8 a ping between the fragments frame-wise", with_ping, true, 2},
  };
  for (const auto& fc : cases) {
    INFO(fc.what);
    raw::client c;
    open(c, d);
    if (fc.delivery == 0) {
      REQUIRE(c.send(fc.bytes));
    } else if (fc.delivery == 1) {
      REQUIRE(c.send_chopped(fc.bytes, 1));
    } else {
      REQUIRE(c.send(raw::text(part1, false)));
      if (fc.ping)
        REQUIRE(c.send(raw::ping("between")));
      REQUIRE(c.send(raw::continuation(part2)));
    }
    if (fc.ping) // answered at once, before the message is complete
      expect_pong(c, "between");
    expect_text(c, pong_reply);
  }
  for (int pause_ms : {0, 50}) { // 5.19, 5.20: five fragments, pings between, with pauses
    INFO("5.19/5.20 five fragments with pings, pause " << pause_ms << " ms");
    raw::client c;
    open(c, d);
    const std::string parts[] = {"{", R"("op")", ":", R"("ping")", "}"};
    for (int i = 0; i < 5; ++i) {
      auto frame = i == 0 ? raw::text(parts[i], false) : raw::continuation(parts[i], i == 4);
      REQUIRE(c.send(frame));
      if (i < 4) {
        REQUIRE(c.send(raw::ping("pong-" + std::to_string(i))));
        expect_pong(c, "pong-" + std::to_string(i));
      }
      if (pause_ms)
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    }
    expect_text(c, pong_reply);
  }
}

TEST_CASE("ws conformance: 5 fragmentation continuation misuse fails with 1002",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  const std::string stray_final = raw::continuation(ping_cmd, true);
  const std::string stray_open = raw::continuation(ping_cmd, false);
  const std::string message = raw::text(ping_cmd);
  const std::string two_fragments = raw::text(R"({"op":)", false) + raw::continuation(R"("ping"})");
  struct misuse {
    const char* what;
    bool answered_first; // a correct fragmented message is answered before the misuse
    std::vector<std::string> frames;
    int delivery; // 0: one write, 1: byte by byte, 2: each frame its own write
  };
  const misuse cases[] = {
    {"5.9 continuation (FIN) with nothing to continue", false, {stray_final, message}, 0},
    {"5.10 same, byte by byte", false, {stray_final, message}, 1},
    {"5.11 same, frame-wise", false, {stray_final, message}, 2},
    {"5.12 continuation (no FIN) with nothing to continue", false, {stray_open, message}, 0},
    {"5.13 same, byte by byte", false, {stray_open, message}, 1},
    {"5.14 same, frame-wise", false, {stray_open, message}, 2},
    {"5.15 after a complete fragmented message", true, {stray_open, message}, 0},
    {"5.16 stray continuation (no FIN) before a fragmented message", false,
     {stray_open, two_fragments, stray_open, two_fragments}, 0},
    {"5.17 stray continuation (FIN) before a fragmented message", false,
     {stray_final, two_fragments, stray_final, two_fragments}, 0},
    {"5.18 a text frame where a continuation belongs", false,
     {raw::text(R"({"op":)", false), raw::text(R"("ping"})")}, 0},
  };
  for (const auto& m : cases) {
    INFO(m.what);
    raw::client c;
    open(c, d);
    if (m.answered_first) {
      REQUIRE(c.send(two_fragments));
      expect_text(c, pong_reply);
    }
    std::string all;
    for (const auto& f : m.frames)
      all += f;
    if (m.delivery == 0)
      REQUIRE(c.send(all));
    else if (m.delivery == 1)
      REQUIRE(c.send_chopped(all, 1));
    else
      for (const auto& f : m.frames)
        REQUIRE(c.send(f));
    expect_close(c, 1002);
  }
}

// -- 10 misc ----------------------------------------------------------------------------------

TEST_CASE("ws conformance: 10 auto-fragmented messages and unfragmented server frames",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  { // 10.1.1: a 64 KiB message in 1300-byte fragments, as a client library auto-fragments
    INFO("10.1.1 65536 bytes in 1300-byte fragments");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(fragmented(padded_ping(65536), 1300)));
    expect_text(c, pong_reply);
  }
  { // The server sends every message as one final, unmasked frame, shortest length form,
    // whatever its size: a 40 KB event arrives in one frame with a 16-bit length.
    INFO("server frames: a 40 KB event in one frame");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::text(R"({"op":"subscribe","topics":["conformance.big"]})")));
    auto confirm = c.read_frame();
    REQUIRE(confirm.has_value());
    CHECK(confirm->payload.find(R"("op":"subscribed")") != std::string::npos);
    http_client rest(d.port());
    publish(rest, "conformance.big", R"({"data":")" + std::string(40000, 'x') + "\"}");
    auto ev = c.read_frame();
    REQUIRE(ev.has_value());
    CHECK(ev->opcode == raw::op_text);
    CHECK(ev->payload.size() > 40000);
    CHECK(ev->payload.find(R"("op":"event")") != std::string::npos);
    check_server_framing(*ev);
  }
}
