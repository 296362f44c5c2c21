// WebSocket framing (net/ws/ws_frame): client frame headers read back to back as
// net/ws/ws_connection_input.cpp does, the UTF-8 validator against an independent table, and the
// server-side encoders read back through the client parser.
#include <array>
#include <string>

#include "fuzz_check.hpp"
#include "net/ws/ws_frame.hpp"

namespace {

namespace ws = sy::ws;

// Well-formed UTF-8 by the Unicode standard's table of byte sequences (Table 3-7): a second
// opinion, written differently from ws::valid_utf8 (ranges per lead byte, no code point math).
bool reference_utf8(std::string_view s) {
  auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xbf; // range of the first continuation byte
    if (c <= 0x7f) {
      ++i;
      continue;
    }
    if (in(c, 0xc2, 0xdf)) {
      n = 1;
    } else if (in(c, 0xe0, 0xef)) {
      n = 2;
      if (c == 0xe0)
        lo = 0xa0;
      if (c == 0xed)
        hi = 0x9f;
    } else if (in(c, 0xf0, 0xf4)) {
      n = 3;
      if (c == 0xf0)
        lo = 0x90;
      if (c == 0xf4)
        hi = 0x8f;
    } else {
      return false;
    }
    if (s.size() - i <= n)
      return false;
    if (!in(static_cast<unsigned char>(s[i + 1]), lo, hi))
      return false;
    for (std::size_t k = 2; k <= n; ++k)
      if (!in(static_cast<unsigned char>(s[i + k]), 0x80, 0xbf))
        return false;
    i += n + 1;
  }
  return true;
}

/// The header bytes a client would send for `h`, with the length in the form `h` was read in.
std::string encode_client_header(const ws::frame_header& h) {
  std::string out;
  out.push_back(static_cast<char>((h.fin ? 0x80 : 0) | h.opcode));
  if (h.header_size == 6) {
    out.push_back(static_cast<char>(0x80 | h.length));
  } else if (h.header_size == 8) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(h.length >> 8));
    out.push_back(static_cast<char>(h.length & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 0; i < 8; ++i)
      out.push_back(static_cast<char>(h.length >> (56 - 8 * i)));
  }
  for (auto b : h.mask)
    out.push_back(static_cast<char>(b));
  return out;
}

bool known_opcode(std::uint8_t op) {
  return op == ws::op_continuation || op == ws::op_text || op == ws::op_binary
         || op == ws::op_close || op == ws::op_ping || op == ws::op_pong;
}

void check_frames(std::string_view in) {
  while (true) {
    ws::frame_header h;
    auto st = ws::parse_client_header(in, h);
    if (st == ws::parse_status::need_more) {
      FUZZ_CHECK(in.size() < 14); // no header is longer
      return;
    }
    if (st == ws::parse_status::protocol_error)
      return;
    FUZZ_CHECK(h.header_size == 6 || h.header_size == 8 || h.header_size == 14);
    FUZZ_CHECK(h.header_size <= in.size());
    FUZZ_CHECK(known_opcode(h.opcode));
    FUZZ_CHECK(h.opcode < ws::op_close || (h.fin && h.length <= 125));
    FUZZ_CHECK(h.length >> 63 == 0);
    FUZZ_CHECK(encode_client_header(h) == in.substr(0, h.header_size));
    // One byte fewer is never an error: the parser must wait for the rest.
    ws::frame_header shorter;
    FUZZ_CHECK(ws::parse_client_header(in.substr(0, h.header_size - 1), shorter)
               == ws::parse_status::need_more);
    if (in.size() - h.header_size < h.length)
      return;
    std::string payload(in.substr(h.header_size, static_cast<std::size_t>(h.length)));
    ws::unmask(payload.data(), payload.size(), h.mask);
    if (h.opcode == ws::op_text)
      FUZZ_CHECK(ws::valid_utf8(payload) == reference_utf8(payload));
    ws::unmask(payload.data(), payload.size(), h.mask);
    FUZZ_CHECK(payload == in.substr(h.header_size, static_cast<std::size_t>(h.length)));
    in.remove_prefix(h.header_size + static_cast<std::size_t>(h.length));
  }
}

// A server header, given a mask, must read back as the frame it describes.
void check_server_header(std::uint8_t opcode, std::uint64_t n) {
  std::array<std::uint8_t, 10> hdr{};
  auto len = ws::server_header(opcode, n, hdr);
  std::string frame(reinterpret_cast<const char*>(hdr.data()), len);
  frame[1] = static_cast<char>(frame[1] | 0x80);
  frame += "\x01\x02\x03\x04";
  ws::frame_header h;
  FUZZ_CHECK(ws::parse_client_header(frame, h) == ws::parse_status::ok);
  FUZZ_CHECK(h.fin && h.opcode == opcode && h.length == n && h.header_size == len + 4);
  FUZZ_CHECK(len == (n < 126 ? 2u : n <= 0xffff ? 4u : 10u));
}

void check_close_frame(std::uint16_t code, std::string_view reason) {
  auto frame = ws::close_frame(code, reason);
  FUZZ_CHECK(frame.size() >= 4 && frame.size() <= 127);
  frame.insert(2, "\0\0\0\0", 4); // a zero mask: the payload reads as is
  frame[1] = static_cast<char>(frame[1] | 0x80);
  ws::frame_header h;
  FUZZ_CHECK(ws::parse_client_header(frame, h) == ws::parse_status::ok);
  FUZZ_CHECK(h.opcode == ws::op_close && h.length == frame.size() - 6);
  FUZZ_CHECK(static_cast<std::uint8_t>(frame[6]) == code >> 8);
  FUZZ_CHECK(static_cast<std::uint8_t>(frame[7]) == (code & 0xff));
  FUZZ_CHECK(frame.substr(8) == reason.substr(0, 123));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = sy::fuzz::as_text(data, size);
  check_frames(in);
  FUZZ_CHECK(ws::valid_utf8(in) == reference_utf8(in));
  if (size >= 10) {
    std::uint64_t n = 0;
    for (int i = 2; i < 10; ++i)
      n = (n << 8) | data[i];
    // Bit 0 of the first byte picks a short length, so small sizes are common too.
    n = (data[0] & 1) ? n % 300 : n >> 1;
    std::uint8_t opcodes[] = {ws::op_text, ws::op_binary, ws::op_continuation, ws::op_close,
                              ws::op_ping, ws::op_pong};
    auto op = opcodes[data[1] % 6];
    if (op < ws::op_close || n <= 125)
      check_server_header(op, n);
    check_close_frame(static_cast<std::uint16_t>(data[0] << 8 | data[1]), in.substr(10));
  }
  return 0;
}
