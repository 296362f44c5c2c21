// WebSocket conformance, Autobahn|Testsuite server section 6 (UTF-8 handling), on a non-echo
// server: see ws_conformance.hpp. Each sample rides inside a Fabric ping,
// {"op":"ping","x":"<sample>"}, sent as one frame and again as one frame per byte (so code points
// are split between fragments). Valid text is answered, invalid text closes with 1007.
#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace sy::test;
using namespace sy::test::conformance;

namespace {

struct sample {
  const char* what;
  std::string bytes;
};

std::string b(const char* s) {
  return s;
}

const std::string kosme = b("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"); // "κόσμε"

// Sections 6.2, 6.5-6.10, 6.21-6.23: well-formed, including boundaries and noncharacters.
std::vector<sample> valid_samples() {
  std::vector<sample> v = {
    {"6.2 Hello-µ@ßöäüàá-UTF-8!!",
     b("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!")},
    {"6.5.1 kosme", kosme},
    {"6.5 four-byte sequence U+1F600", b("\xf0\x9f\x98\x80")},
    {"6.7.1 U+0000", std::string(1, '\0')},
    {"6.7.2 U+0080", b("\xc2\x80")},
    {"6.7.3 U+0800", b("\xe0\xa0\x80")},
    {"6.7.4 U+10000", b("\xf0\x90\x80\x80")},
    {"6.9.1 U+007F", b("\x7f")},
    {"6.9.2 U+07FF", b("\xdf\xbf")},
    {"6.9.3 U+FFFF", b("\xef\xbf\xbf")},
    {"6.10.1 U+D7FF", b("\xed\x9f\xbf")},
    {"6.10.2 U+E000", b("\xee\x80\x80")},
    {"6.10.3 U+FFFD", b("\xef\xbf\xbd")},
    {"6.10.4 U+10FFFF", b("\xf4\x8f\xbf\xbf")},
    {"6.21 noncharacter U+FFFE", b("\xef\xbf\xbe")},
    {"6.22 noncharacter U+1FFFE", b("\xf0\x9f\xbf\xbe")},
    {"6.22 noncharacter U+10FFFE", b("\xf4\x8f\xbf\xbe")},
    {"6.23 noncharacter U+FDD0", b("\xef\xb7\x90")},
  };
  // 6.6: the prefixes of "κόσμε" that end on a code point boundary
  for (std::size_t n : {2u, 5u, 7u, 9u, 11u})
    v.push_back({"6.6 kosme prefix", kosme.substr(0, n)});
  return v;
}

// Sections 6.3, 6.6, 6.8, 6.11-6.20: malformed.
std::vector<sample> invalid_samples() {
  std::vector<sample> v = {
    {"6.3.1 kosme + surrogate + edited", kosme + b("\xed\xa0\x80") + "edited"},
    {"6.8.1 five-byte sequence", b("\xf8\x88\x80\x80\x80")},
    {"6.8.2 six-byte sequence", b("\xfc\x84\x80\x80\x80\x80")},
    {"6.9.4 U+1FFFFF in four bytes", b("\xf7\xbf\xbf\xbf")},
    {"6.10.5 U+110000", b("\xf4\x90\x80\x80")},
    {"6.11 lone continuation 0x80", b("\x80")},
    {"6.11 lone continuation 0xBF", b("\xbf")},
    {"6.11 two continuations", b("\x80\xbf")},
    {"6.11 three continuations", b("\x80\xbf\x80")},
    {"6.12 lonely C0 start", b("\xc0 ")},
    {"6.12 lonely C2 start", b("\xc2 ")},
    {"6.12 lonely E0 start", b("\xe0 ")},
    {"6.12 lonely F0 start", b("\xf0 ")},
    {"6.12 lonely F8 start", b("\xf8 ")},
    {"6.12 lonely FC start", b("\xfc ")},
    {"6.13 two-byte sequence cut short", b("\xc2")},
    {"6.13 three-byte sequence cut short", b("\xe0\xa0")},
    {"6.13 four-byte sequence cut short", b("\xf0\x90\x80")},
    {"6.13 last three-byte cut short", b("\xef\xbf")},
    {"6.14 concatenated incomplete sequences", b("\xc2\xe0\xa0\xf0\x90\x80\xdf\xef\xbf\xf4\x8f\xbf")},
    {"6.15 impossible byte FE", b("\xfe")},
    {"6.15 impossible byte FF", b("\xff")},
    {"6.15 impossible bytes FE FE FF FF", b("\xfe\xfe\xff\xff")},
    {"6.16 overlong / in two bytes", b("\xc0\xaf")},
    {"6.16 overlong / in three bytes", b("\xe0\x80\xaf")},
    {"6.16 overlong / in four bytes", b("\xf0\x80\x80\xaf")},
    {"6.17 maximum overlong two bytes", b("\xc1\xbf")},
    {"6.17 maximum overlong three bytes", b("\xe0\x9f\xbf")},
    {"6.17 maximum overlong four bytes", b("\xf0\x8f\xbf\xbf")},
    {"6.18 overlong NUL two bytes", b("\xc0\x80")},
    {"6.18 overlong NUL three bytes", b("\xe0\x80\x80")},
    {"6.19 surrogate U+D800", b("\xed\xa0\x80")},
    {"6.19 surrogate U+DB7F", b("\xed\xad\xbf")},
    {"6.19 surrogate U+DC00", b("\xed\xb0\x80")},
    {"6.19 surrogate U+DFFF", b("\xed\xbf\xbf")},
    {"6.20 surrogate pair U+D800 U+DC00", b("\xed\xa0\x80\xed\xb0\x80")},
    {"6.20 surrogate pair U+DBFF U+DFFF", b("\xed\xaf\xbf\xed\xbf\xbf")},
  };
  std::string all_continuations;
  for (int c = 0x80; c <= 0xbf; ++c)
    all_continuations.push_back(static_cast<char>(c));
  v.push_back({"6.11 all 64 continuation bytes", all_continuations});
  // 6.6: the prefixes of "κόσμε" that stop inside a code point
  for (std::size_t n : {1u, 3u, 4u, 6u, 8u, 10u})
    v.push_back({"6.6 kosme prefix cut inside a code point", kosme.substr(0, n)});
  return v;
}

std::string carrier(const std::string& s) {
  return R"({"op":"ping","x":")" + s + "\"}";
}

// What Fabric answers a carrier of valid UTF-8: a pong, or bad_json when the sample holds a
// character JSON strings may not (U+0000); either proves the message got through.
void expect_answer(raw::client& c, const std::string& s) {
  bool json_safe = s.find('\0') == std::string::npos;
  if (json_safe) {
    expect_text(c, pong_reply);
    return;
  }
  auto f = c.read_frame();
  REQUIRE(f.has_value());
  CHECK(f->payload.find(R"("code":"bad_json")") != std::string::npos);
}

} // namespace

TEST_CASE("ws conformance: 6 UTF-8 valid text in one frame and split into bytes",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  raw::client c;
  open(c, d);
  { // 6.1.1-6.1.3: empty messages and empty fragments
    INFO("6.1 empty text and empty fragments");
    REQUIRE(c.send(raw::text("")));
    expect_answer(c, std::string(1, '\0')); // empty is not JSON: bad_json
    REQUIRE(c.send(raw::text("", false) + raw::continuation("", false) + raw::continuation("")));
    expect_answer(c, std::string(1, '\0'));
    REQUIRE(c.send(raw::text("", false) + raw::continuation(ping_cmd, false)
                   + raw::continuation("")));
    expect_text(c, pong_reply);
  }
  for (const auto& s : valid_samples()) {
    INFO(s.what);
    auto msg = carrier(s.bytes);
    REQUIRE(c.send(raw::text(msg)));
    expect_answer(c, s.bytes);
    REQUIRE(c.send(fragmented(msg, 1)));
    expect_answer(c, s.bytes);
  }
  expect_quiet(c);
}

TEST_CASE("ws conformance: 6 UTF-8 invalid text closes with 1007",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  for (const auto& s : invalid_samples()) {
    for (bool split : {false, true}) {
      INFO(s.what << ", split into bytes: " << split);
      raw::client c;
      open(c, d);
      auto msg = carrier(s.bytes);
      REQUIRE(c.send((split ? fragmented(msg, 1) : raw::text(msg))));
      auto r = expect_close(c, 1007);
      CHECK(r.reason == "invalid UTF-8");
    }
  }
}

TEST_CASE("ws conformance: 6 UTF-8 fragmented text fails fast",
          "[integration][conformance]") {
  daemon_process d(suite_args());
  // 6.4.1, 6.4.2: the fragment holding the invalid bytes closes the connection at once, while
  // the message is still open (the rest is never sent).
  const sample cases[] = {
    {"6.4.1 invalid code point in the second fragment", b("\xf4\x90\x80\x80")},
    {"6.4.2 invalid byte completing a sequence from the first fragment", b("\x90")},
  };
  for (const auto& s : cases) {
    INFO(s.what);
    raw::client c;
    open(c, d);
    std::string first = R"({"op":"ping","x":")" + kosme;
    if (s.bytes == b("\x90"))
      first += b("\xf4"); // a lead byte whose sequence is still open: valid so far
    REQUIRE(c.send(raw::text(first, false)));
    expect_quiet(c, std::chrono::milliseconds(100));
    REQUIRE(c.send(raw::continuation(s.bytes, false)));
    expect_close(c, 1007);
  }
  { // 6.4.3, 6.4.4: one frame written in chops, the invalid bytes in the middle chop; the
    // frame is judged once it is complete (bounded by realtime.max_frame_bytes).
    INFO("6.4.3 one frame, chopped around invalid bytes");
    raw::client c;
    open(c, d);
    auto frame = raw::text(carrier(kosme + b("\xf4\x90\x80\x80") + "edited"));
    REQUIRE(c.send(frame.substr(0, 20)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(c.send(frame.substr(20, 6)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(c.send(frame.substr(26)));
    expect_close(c, 1007);
  }
}
