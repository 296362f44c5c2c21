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
/// set RSV bits (no extension is negotiated), and control frames must be final and <= 125 bytes.
parse_status parse_client_header(std::string_view in, frame_header& h);

/// XORs `data` with the frame mask (in place).
void unmask(char* data, std::size_t n, const std::array<std::uint8_t, 4>& mask);

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
