#include "net/ws/ws_frame.hpp"

#include <openssl/evp.h>

namespace sy::ws {

parse_status parse_client_header(std::string_view in, frame_header& h) {
  if (in.size() < 2)
    return parse_status::need_more;
  auto b0 = static_cast<std::uint8_t>(in[0]);
  auto b1 = static_cast<std::uint8_t>(in[1]);
  h.fin = (b0 & 0x80) != 0;
  h.opcode = b0 & 0x0f;
  if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0)
    return parse_status::protocol_error; // RSV set, or an unmasked client frame
  std::uint64_t len = b1 & 0x7f;
  std::size_t pos = 2;
  if (len == 126) {
    if (in.size() < 4)
      return parse_status::need_more;
    len = (std::uint64_t{static_cast<std::uint8_t>(in[2])} << 8) | static_cast<std::uint8_t>(in[3]);
    if (len < 126)
      return parse_status::protocol_error; // not the shortest form
    pos = 4;
  } else if (len == 127) {
    if (in.size() < 10)
      return parse_status::need_more;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<std::uint8_t>(in[2 + i]);
    if ((len >> 63) || len <= 0xffff)
      return parse_status::protocol_error; // top bit set, or not the shortest form
    pos = 10;
  }
  if (h.opcode >= 0x8 && (!h.fin || len > 125))
    return parse_status::protocol_error;
  bool known = h.opcode <= op_binary || (h.opcode >= op_close && h.opcode <= op_pong);
  if (!known)
    return parse_status::protocol_error;
  if (in.size() < pos + 4)
    return parse_status::need_more;
  for (int i = 0; i < 4; ++i)
    h.mask[i] = static_cast<std::uint8_t>(in[pos + i]);
  h.length = len;
  h.header_size = pos + 4;
  return parse_status::ok;
}

void unmask(char* data, std::size_t n, const std::array<std::uint8_t, 4>& mask) {
  for (std::size_t i = 0; i < n; ++i)
    data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ mask[i & 3]);
}

bool utf8_validator::feed(std::string_view s) {
  if (failed_)
    return false;
  for (char ch : s) {
    auto c = static_cast<std::uint8_t>(ch);
    if (need_ == 0) {
      if (c < 0x80)
        continue;
      // Lead bytes; C0, C1 and F5-FF never occur. The first continuation byte's range excludes
      // overlongs (after E0, F0), surrogates U+D800-DFFF (after ED) and > U+10FFFF (after F4).
      if (c >= 0xc2 && c <= 0xdf) {
        need_ = 1;
      } else if (c >= 0xe0 && c <= 0xef) {
        need_ = 2;
        lo_ = c == 0xe0 ? 0xa0 : 0x80;
        hi_ = c == 0xed ? 0x9f : 0xbf;
      } else if (c >= 0xf0 && c <= 0xf4) {
        need_ = 3;
        lo_ = c == 0xf0 ? 0x90 : 0x80;
        hi_ = c == 0xf4 ? 0x8f : 0xbf;
      } else {
        failed_ = true;
        return false;
      }
      continue;
    }
    if (c < lo_ || c > hi_) {
      failed_ = true;
      return false;
    }
    lo_ = 0x80;
    hi_ = 0xbf;
    --need_;
  }
  return true;
}

bool valid_utf8(std::string_view s) {
  utf8_validator v;
  return v.feed(s) && v.complete();
}

std::size_t server_header(std::uint8_t opcode, std::uint64_t n, std::array<std::uint8_t, 10>& h) {
  h[0] = static_cast<std::uint8_t>(0x80 | opcode);
  if (n < 126) {
    h[1] = static_cast<std::uint8_t>(n);
    return 2;
  }
  if (n <= 0xffff) {
    h[1] = 126;
    h[2] = static_cast<std::uint8_t>(n >> 8);
    h[3] = static_cast<std::uint8_t>(n);
    return 4;
  }
  h[1] = 127;
  for (int i = 0; i < 8; ++i)
    h[2 + i] = static_cast<std::uint8_t>(n >> (56 - 8 * i));
  return 10;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  reason = reason.substr(0, 123);
  std::string out;
  out.push_back(static_cast<char>(0x80 | op_close));
  out.push_back(static_cast<char>(2 + reason.size()));
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out.append(reason);
  return out;
}

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  static constexpr char tbl[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    if (i + 1 < n)
      v |= std::uint32_t{data[i + 1]} << 8;
    if (i + 2 < n)
      v |= data[i + 2];
    out.push_back(tbl[(v >> 18) & 0x3f]);
    out.push_back(tbl[(v >> 12) & 0x3f]);
    out.push_back(i + 1 < n ? tbl[(v >> 6) & 0x3f] : '=');
    out.push_back(i + 2 < n ? tbl[v & 0x3f] : '=');
  }
  return out;
}

} // namespace

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(client_key);
  input.append(guid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_sha1(), nullptr);
  return base64(digest, len);
}

std::string handshake_response(std::string_view client_key) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: "
         + accept_key(client_key) + "\r\nServer: switchyard\r\n\r\n";
}

} // namespace sy::ws
