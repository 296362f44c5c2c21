// Golden tests for the server-side WebSocket framing.
#include <catch2/catch.hpp>

#include <random>

#include "net/ws/ws_frame.hpp"
#include "schema/codes.hpp"

using namespace sy;

namespace {

// A masked client frame as a browser would send it.
std::string client_frame(std::uint8_t first_byte, const std::string& payload,
                         std::array<std::uint8_t, 4> mask = {0x37, 0xfa, 0x21, 0x3d}) {
  std::string out;
  out.push_back(static_cast<char>(first_byte));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff));
  }
  for (auto m : mask)
    out.push_back(static_cast<char>(m));
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return out;
}

} // namespace

TEST_CASE("handshake accept key matches RFC 6455 section 1.3", "[ws]") {
  CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  auto r = ws::handshake_response("dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(r.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(r.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(r.substr(r.size() - 4) == "\r\n\r\n");
}

TEST_CASE("masked client frames parse and unmask (RFC 6455 5.7 'Hello')", "[ws]") {
  // The RFC's masked "Hello": 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
  const std::string wire("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  ws::frame_header h;
  REQUIRE(ws::parse_client_header(wire, h) == ws::parse_status::ok);
  CHECK(h.fin);
  CHECK(h.opcode == ws::op_text);
  CHECK(h.length == 5);
  CHECK(h.header_size == 6);
  std::string payload = wire.substr(6);
  ws::unmask(payload.data(), payload.size(), h.mask);
  CHECK(payload == "Hello");
  CHECK(client_frame(0x81, "Hello") == wire);
}

TEST_CASE("frame lengths: 7-bit, 16-bit and 64-bit forms", "[ws]") {
  for (std::size_t n : {0u, 125u, 126u, 65535u, 65536u, 70000u}) {
    INFO(n);
    auto f = client_frame(0x81, std::string(n, 'x'));
    ws::frame_header h;
    REQUIRE(ws::parse_client_header(f, h) == ws::parse_status::ok);
    CHECK(h.length == n);
    CHECK(h.header_size + n == f.size());
    // every strict prefix of the header asks for more
    for (std::size_t k = 0; k < h.header_size; ++k)
      CHECK(ws::parse_client_header(std::string_view(f).substr(0, k), h)
            == ws::parse_status::need_more);
  }
}

TEST_CASE("protocol errors in client frame headers", "[ws]") {
  ws::frame_header h;
  // unmasked client frame
  CHECK(ws::parse_client_header(std::string("\x81\x05Hello", 7), h)
        == ws::parse_status::protocol_error);
  // RSV1 set (no extension negotiated)
  CHECK(ws::parse_client_header(client_frame(0xc1, "x"), h) == ws::parse_status::protocol_error);
  // fragmented control frame
  CHECK(ws::parse_client_header(client_frame(0x09, "x"), h) == ws::parse_status::protocol_error);
  // control frame over 125 bytes
  CHECK(ws::parse_client_header(client_frame(0x89, std::string(126, 'x')), h)
        == ws::parse_status::protocol_error);
  // reserved opcodes
  CHECK(ws::parse_client_header(client_frame(0x83, "x"), h) == ws::parse_status::protocol_error);
  CHECK(ws::parse_client_header(client_frame(0x8b, "x"), h) == ws::parse_status::protocol_error);
  // ping, pong, close and binary are fine
  for (std::uint8_t b : {0x89, 0x8a, 0x88, 0x82}) {
    INFO(int(b));
    CHECK(ws::parse_client_header(client_frame(b, "ab"), h) == ws::parse_status::ok);
  }
}

TEST_CASE("non-minimal length encodings are protocol errors (RFC 6455 5.2)", "[ws]") {
  ws::frame_header h;
  // "Hello" with a 16-bit length: 0x81 0xfe 0x00 0x05 + mask
  std::string f16("\x81\xfe\x00\x05\x01\x02\x03\x04Hello", 13);
  CHECK(ws::parse_client_header(f16, h) == ws::parse_status::protocol_error);
  // 125 is the largest 7-bit length: still too small for the 16-bit form
  std::string f16max("\x81\xfe\x00\x7d\x01\x02\x03\x04", 8);
  CHECK(ws::parse_client_header(f16max, h) == ws::parse_status::protocol_error);
  // 64-bit form for 5 bytes and for 65535 bytes (fits 16 bits)
  std::string f64("\x81\xff\x00\x00\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04", 14);
  CHECK(ws::parse_client_header(f64, h) == ws::parse_status::protocol_error);
  std::string f64small("\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff\x01\x02\x03\x04", 14);
  CHECK(ws::parse_client_header(f64small, h) == ws::parse_status::protocol_error);
  // the smallest lengths of each form are fine
  std::string ok16("\x81\xfe\x00\x7e\x01\x02\x03\x04", 8);
  CHECK(ws::parse_client_header(ok16, h) == ws::parse_status::ok);
  CHECK(h.length == 126);
  std::string ok64("\x81\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02\x03\x04", 14);
  CHECK(ws::parse_client_header(ok64, h) == ws::parse_status::ok);
  CHECK(h.length == 65536);
  // the 64-bit length's most significant bit must be 0
  std::string msb("\x81\xff\x80\x00\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04", 14);
  CHECK(ws::parse_client_header(msb, h) == ws::parse_status::protocol_error);
}

TEST_CASE("close codes a client may send (RFC 6455 7.4, IANA registry)", "[ws]") {
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    INFO(code);
    CHECK(close_code::valid_from_peer(static_cast<std::uint16_t>(code)));
  }
  for (int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    INFO(code);
    CHECK_FALSE(close_code::valid_from_peer(static_cast<std::uint16_t>(code)));
  }
  // every code the server sends itself is one a peer may send too
  for (auto code : {close_code::normal, close_code::going_away, close_code::protocol_error,
                    close_code::unsupported_data, close_code::invalid_payload, close_code::too_big,
                    close_code::internal_error, close_code::token_expired,
                    close_code::idle_timeout, close_code::scope_denied,
                    close_code::quota_exceeded, close_code::slow_consumer,
                    close_code::channel_unavailable}) {
    INFO(code);
    CHECK(close_code::valid_from_peer(code));
  }
  CHECK_FALSE(close_code::valid_from_peer(close_code::no_status));
  CHECK_FALSE(close_code::valid_from_peer(close_code::abnormal));
}

TEST_CASE("server frames are unmasked with the shortest length form", "[ws]") {
  std::array<std::uint8_t, 10> hdr;
  CHECK(ws::server_header(ws::op_text, 5, hdr) == 2);
  CHECK(hdr[0] == 0x81);
  CHECK(hdr[1] == 5);
  CHECK(ws::server_header(ws::op_text, 300, hdr) == 4);
  CHECK(hdr[1] == 126);
  CHECK((hdr[2] << 8 | hdr[3]) == 300);
  CHECK(ws::server_header(ws::op_pong, 70000, hdr) == 10);
  CHECK(hdr[0] == 0x8a);
  CHECK(hdr[1] == 127);
  CHECK(ws::close_frame(4009, "slow_consumer") == std::string("\x88\x0f\x0f\xa9slow_consumer", 17));
  CHECK(ws::close_frame(1000, std::string(200, 'r')).size() == 2 + 125);
}

TEST_CASE("UTF-8 validation table", "[ws]") {
  CHECK(ws::valid_utf8(""));
  CHECK(ws::valid_utf8("plain ascii"));
  CHECK(ws::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")); // é € 😀
  CHECK_FALSE(ws::valid_utf8("\xc3"));             // truncated
  CHECK_FALSE(ws::valid_utf8("\xc0\xaf"));         // overlong
  CHECK_FALSE(ws::valid_utf8("\xed\xa0\x80"));     // surrogate
  CHECK_FALSE(ws::valid_utf8("\xf4\x90\x80\x80")); // > U+10FFFF
  CHECK_FALSE(ws::valid_utf8("\xff"));
  CHECK_FALSE(ws::valid_utf8("\x80"));
}

TEST_CASE("UTF-8 split across fragments at every byte is judged as a whole", "[ws]") {
  const std::string samples[] = {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                                 "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
                                 "\xf4\x8f\xbf\xbf\xee\x80\x80\xed\x9f\xbf"};
  for (const auto& s : samples) {
    for (std::size_t cut = 0; cut <= s.size(); ++cut) {
      INFO("cut at " << cut);
      ws::utf8_validator v;
      CHECK(v.feed(std::string_view(s).substr(0, cut)));
      CHECK(v.feed(std::string_view(s).substr(cut)));
      CHECK(v.complete());
    }
    // byte by byte
    ws::utf8_validator v;
    for (char c : s)
      CHECK(v.feed(std::string_view(&c, 1)));
    CHECK(v.complete());
  }
  // a message that stops inside a code point is not complete
  ws::utf8_validator open;
  CHECK(open.feed("\xce\xba\xe1\xbd"));
  CHECK_FALSE(open.complete());
}

TEST_CASE("UTF-8 fails at the first byte that cannot continue", "[ws]") {
  // Each prefix is valid; the next byte already rules the text out (fail fast).
  const std::pair<std::string, char> cases[] = {
    {"\xce\xba", '\x80'},        // lone continuation byte
    {"ok ", '\xc0'},              // C0/C1 never start a sequence (overlong)
    {"ok ", '\xf5'},              // past U+10FFFF
    {"\xed", '\xa0'},             // U+D800: surrogate
    {"\xe0", '\x9f'},             // overlong 3-byte form
    {"\xf0", '\x8f'},             // overlong 4-byte form
    {"\xf4", '\x90'},             // U+110000
    {"\xe2\x82", 'A'},            // sequence cut short
  };
  for (const auto& [prefix, next] : cases) {
    INFO("prefix " << prefix.size() << " bytes, then " << int(static_cast<unsigned char>(next)));
    ws::utf8_validator v;
    REQUIRE(v.feed(prefix));
    CHECK_FALSE(v.feed(std::string_view(&next, 1)));
    CHECK_FALSE(v.feed("a")); // stays failed
    CHECK_FALSE(v.complete());
  }
  ws::utf8_validator v;
  CHECK(v.feed("reset me \xc3"));
  v.reset();
  CHECK(v.complete());
}

TEST_CASE("header parsing of random bytes is total and consistent", "[ws]") {
  // Fixed seed: every input must yield ok/need_more/protocol_error, never read past its end,
  // and an ok header must fit in the input and match the length field.
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::string in(rng() % 16, '\0');
    for (auto& c : in)
      c = static_cast<char>(rng() & 0xff);
    ws::frame_header h;
    auto st = ws::parse_client_header(in, h);
    if (st == ws::parse_status::ok) {
      CHECK(h.header_size <= in.size());
      CHECK(h.header_size >= 6);
      if (h.opcode >= 0x8)
        CHECK(h.length <= 125);
    }
  }
}
