#pragma once
// Server-side WebSocket framing (RFC 6455) as pure functions: header parsing of masked client
// frames, UTF-8 validation, server frame headers and the handshake accept key.
//
// Why not Beast's websocket::stream: a pending Beast read keeps its whole composed-operation
// state (~1.5-2 KB) inside the socket operation, and its stream impl carries a fixed 1.5 KB
// frame buffer: ~4.5 KB per idle connection before the session exists. Here an idle
// connection waits with a bare readiness wait and holds no buffer (see ws_connection).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sy::ws {

enum opcode : std::uint8_t {
  op_continuation = 0x0,
  op_text = 0x1,
  op_binary = 0x2,
  op_close = 0x8,
  op_ping = 0x9,
  op_pong = 0xa,
};

struct frame_header {
  bool fin = false;
  std::uint8_t opcode = 0;
  std::uint64_t length = 0;
  std::array<std::uint8_t, 4> mask{};
  std::size_t header_size = 0;
};

enum class parse_status { ok, need_more, protocol_error };

/// Parses a client frame header at the start of `in`. Client frames must be masked, must not
/// set RSV bits (no extension is negotiated), must use a known opcode and the shortest length
/// form (RFC 6455 5.2: 126 only for 126-65535 bytes, 127 only above, its top bit clear), and
/// control frames must be final and <= 125 bytes.
parse_status parse_client_header(std::string_view in, frame_header& h);

/// XORs `data` with the frame mask (in place).
void unmask(char* data, std::size_t n, const std::array<std::uint8_t, 4>& mask);

/// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) checked piece by
/// piece, so a fragmented message is judged as its fragments arrive: a code point may be split
/// between fragments, and a byte that can start no valid sequence fails at once instead of
/// after the whole message was buffered. Four bytes of state.
class utf8_validator {
public:
  /// False from the first byte that cannot continue valid UTF-8 on (and ever after).
  bool feed(std::string_view s);
  /// Whether the bytes fed so far end on a code point boundary (and never failed).
  bool complete() const noexcept {
    return need_ == 0 && !failed_;
  }
  void reset() noexcept {
    *this = utf8_validator{};
  }

private:
  std::uint8_t need_ = 0;  // continuation bytes still expected
  std::uint8_t lo_ = 0x80; // the next continuation byte's range: narrower right after some lead
  std::uint8_t hi_ = 0xbf; // bytes, which is what rules out overlongs, surrogates, > U+10FFFF
  bool failed_ = false;
};

bool valid_utf8(std::string_view s);

/// Header of an unmasked, final server frame with `payload_size` bytes; returns its length.
std::size_t server_header(std::uint8_t opcode, std::uint64_t payload_size,
                          std::array<std::uint8_t, 10>& out);

/// A complete close frame: code and (truncated to fit 125 bytes) reason.
std::string close_frame(std::uint16_t code, std::string_view reason);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string accept_key(std::string_view client_key);

/// The 101 response completing the handshake.
std::string handshake_response(std::string_view client_key);

} // namespace sy::ws
