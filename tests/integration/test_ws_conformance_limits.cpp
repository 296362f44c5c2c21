// WebSocket conformance, Autobahn|Testsuite server section 9 (limits and performance), with
// sizes bounded by realtime.max_frame_bytes (64 KiB): messages up to the limit pass in any
// fragmentation and chopping, larger ones close with 1009 from the header, and every inbound
// frame -- control and continuation frames included -- counts toward realtime.max_frames_per_s
// (4008 above it). See ws_conformance.hpp.
#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;
using namespace sy::test::conformance;

TEST_CASE("ws conformance: 9 limits messages up to max_frame_bytes in any shape",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  const auto big = padded_ping(65536);
  for (std::size_t n : {1024u, 16384u, 65536u}) { // 9.1: one frame
    INFO("9.1 text of " << n << " bytes in one frame");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(raw::text(padded_ping(n))));
    expect_text(c, pong_reply);
  }
  for (std::size_t size : {64u, 256u, 1024u, 4096u, 16384u, 65536u}) { // 9.3: fragments
    INFO("9.3 64 KiB text in fragments of " << size);
    raw::client c;
    open(c, d);
    REQUIRE(c.send(fragmented(big, size)));
    expect_text(c, pong_reply);
  }
  for (std::size_t chop : {64u, 256u, 1024u, 4096u}) { // 9.5: one frame, written in chops
    INFO("9.5 64 KiB text written in chops of " << chop);
    raw::client c;
    open(c, d);
    REQUIRE(c.send_chopped(raw::text(big), chop));
    expect_text(c, pong_reply);
  }
  { // 9.2, 9.4, 9.6: binary at the limit, in fragments, chopped: 1003 every time
    const std::string bin(65536, '\x2a');
    for (int shape = 0; shape < 3; ++shape) {
      INFO("9.2/9.4/9.6 binary 64 KiB, shape " << shape);
      raw::client c;
      open(c, d);
      if (shape == 0)
        REQUIRE(c.send(raw::binary(bin)));
      else if (shape == 1)
        REQUIRE(c.send(raw::binary(bin.substr(0, 4096), false)
                       + raw::continuation(bin.substr(4096))));
      else
        REQUIRE(c.send_chopped(raw::binary(bin), 1024));
      expect_close(c, 1003);
    }
  }
  { // 9.7: many small messages round-trip, every one answered, in order
    INFO("9.7 1000 commands in one burst");
    raw::client c;
    open(c, d);
    std::string burst;
    for (int i = 0; i < 1000; ++i)
      burst += raw::text(ping_cmd);
    REQUIRE(c.send(burst));
    int answered = 0;
    for (; answered < 1000; ++answered) {
      auto f = c.read_frame();
      if (!f || f->payload != pong_reply)
        break;
    }
    CHECK(answered == 1000);
  }
}

TEST_CASE("ws conformance: 9 limits larger messages close with 1009 from the header",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  struct oversize {
    const char* what;
    std::string bytes; // only headers of the refused frame: its payload is never sent
  };
  raw::frame_spec one_over;
  one_over.declared_length = 65537;
  raw::frame_spec huge;
  huge.declared_length = std::uint64_t{1} << 40;
  raw::frame_spec second_fragment;
  second_fragment.opcode = raw::op_continuation;
  second_fragment.declared_length = 6000; // 60000 + 6000 > 65536
  const oversize cases[] = {
    {"one byte over the limit", raw::frame(one_over, "")},
    {"a 1 TiB length", raw::frame(huge, "")},
    {"the fragments together over the limit",
     raw::text(padded_ping(60000), false) + raw::frame(second_fragment, "")},
  };
  for (const auto& o : cases) {
    INFO(o.what);
    raw::client c;
    open(c, d);
    REQUIRE(c.send(o.bytes));
    // The server skips the refused frame's bytes, so a close answer would be read as part of
    // it: close the socket instead.
    auto r = expect_close(c, 1009, false);
    CHECK(r.reason == "message too big");
  }
}

namespace {

// Reads until the close frame; counts the answers (pongs, command replies) before it.
close_result flood(raw::client& c, const std::string& bytes) {
  REQUIRE(c.send(bytes));
  return read_close(c);
}

std::string repeat(const std::string& frame, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += frame;
  return out;
}

} // namespace

TEST_CASE("ws conformance: 9 limits every inbound frame counts toward max_frames_per_s",
          "[integration][conformance]") {
  daemon_process d({"--set", "realtime.max_frames_per_s=50"});
  auto watcher = connect_fabric(d, "watcher", {});
  subscribe(watcher, {"log.event"});
  const std::string expected_reason = "quota_exceeded: more than 50 frames per second";
  struct rate_case {
    const char* what;
    std::string bytes;
  };
  const rate_case over[] = {
    {"200 pings", repeat(raw::ping("p"), 200)},
    {"200 unsolicited pongs", repeat(raw::pong("p"), 200)},
    {"one command in 200 fragments", fragmented(padded_ping(200), 1)},
    {"30 commands and 30 pings share one window", repeat(raw::text(ping_cmd), 30)
                                                     + repeat(raw::ping("p"), 30)},
  };
  for (const auto& rc : over) {
    INFO(rc.what);
    raw::client c;
    open(c, d);
    auto r = flood(c, rc.bytes);
    INFO("answers before the close: " << r.before.size());
    CHECK(r.code == 4008);
    CHECK(r.reason == expected_reason);
    CHECK(r.before.size() <= 50);
    CHECK(r.after == 0);
    CHECK(r.eof);
  }
  { // the quota is reported like the other quotas: log.event quota.exceeded
    INFO("quota.exceeded on log.event");
    int seen = 0;
    for (int i = 0; i < 40 && seen < 4; ++i) {
      auto v = watcher.read_json(3s);
      if (!v.is_object())
        break;
      auto& ev = v.as_object();
      if (field_s(ev, "type") != "quota.exceeded")
        continue;
      CHECK(field_s(field_o(ev, "data"), "quota") == "frames_per_second");
      CHECK(field_s(field_o(ev, "data"), "reason") == "more than 50 frames per second");
      ++seen;
    }
    CHECK(seen == 4);
  }
  { // under the limit, mixed frames are all answered and the connection stays
    INFO("20 commands and 20 pings");
    raw::client c;
    open(c, d);
    REQUIRE(c.send(repeat(raw::text(ping_cmd), 20) + repeat(raw::ping("p"), 20)));
    int pongs = 0, replies = 0;
    for (int i = 0; i < 40; ++i) {
      auto f = c.read_frame();
      REQUIRE(f.has_value());
      if (f->opcode == raw::op_pong)
        ++pongs;
      else if (f->payload == pong_reply)
        ++replies;
    }
    CHECK(pongs == 20);
    CHECK(replies == 20);
    expect_quiet(c);
  }
}

TEST_CASE("ws conformance: 9 limits a ping flood at the default max_frames_per_s closes with 4008",
          "[integration][conformance]") {
  daemon_process d; // realtime.max_frames_per_s = 200
  raw::client c;
  open(c, d);
  auto r = flood(c, repeat(raw::ping(""), 1000));
  CHECK(r.code == 4008);
  CHECK(r.reason == "quota_exceeded: more than 200 frames per second");
  CHECK(r.before.size() <= 200);
  auto other = connect_fabric(d, "bystander");
  other.send_text(ping_cmd);
  CHECK(to_text(next_object(other)) == pong_reply);
}
