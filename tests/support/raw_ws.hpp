#pragma once
// A WebSocket client that writes frames byte by byte, for conformance tests: every header field
// (FIN, RSV bits, opcode, mask, length form) can be set wrong on purpose, bytes can be sent in
// chops of any size, and server frames are read back with their headers so a test can check
// how the server frames its own output. Plain POSIX sockets; every wait has a deadline.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sy::test::raw {

using namespace std::chrono_literals;

enum opcode : std::uint8_t {
  op_continuation = 0x0,
  op_text = 0x1,
  op_binary = 0x2,
  op_close = 0x8,
  op_ping = 0x9,
  op_pong = 0xa,
};

/// Which length encoding a client frame uses: the shortest one, or a forced form (which is
/// non-minimal for short payloads, a protocol error).
enum class length_form { shortest, bits7, bits16, bits64 };

struct frame_spec {
  std::uint8_t opcode = op_text;
  bool fin = true;
  std::uint8_t rsv = 0; // RSV1..RSV3 as 0b100..0b001
  bool masked = true;
  length_form form = length_form::shortest;
  /// When set, the length field says this instead of the payload's size (e.g. a length with
  /// the 64-bit MSB set, or an oversize length whose payload is never sent).
  std::optional<std::uint64_t> declared_length;
};

/// One client frame, masked with a fixed key unless spec.masked is false.
std::string frame(const frame_spec& spec, std::string_view payload);
std::string text(std::string_view payload, bool fin = true);
std::string continuation(std::string_view payload, bool fin = true);
std::string binary(std::string_view payload, bool fin = true);
std::string ping(std::string_view payload = {});
std::string pong(std::string_view payload = {});
/// A close frame with a 2-byte code and a reason.
std::string close(std::uint16_t code, std::string_view reason = {});
/// A close frame with exactly `payload` (empty, 1 byte, a bad code...).
std::string close_payload(std::string_view payload);

/// A frame read from the server, with how it was framed.
struct server_frame {
  bool fin = false;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0;
  bool masked = false;         // servers must never mask
  bool minimal_length = false; // the shortest length form was used
  std::string payload;

  /// Close frames: the code (0 when the payload is shorter than 2 bytes) and reason.
  int close_code() const;
  std::string close_reason() const;
};

class client {
public:
  client() = default;
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Connects to 127.0.0.1:port and sends a WebSocket upgrade for `target`; true on a 101.
  /// Bytes the server sent after the 101 are kept for read_frame.
  bool connect(std::uint16_t port, const std::string& target, std::chrono::milliseconds timeout = 3s);
  /// Writes all of `bytes` (one send per call, TCP_NODELAY); false when the write failed.
  bool send(std::string_view bytes);
  /// Writes `bytes` in pieces of `chunk` bytes, each its own send, `gap` apart.
  bool send_chopped(std::string_view bytes, std::size_t chunk, std::chrono::milliseconds gap = 0ms);

  /// Next complete frame from the server; nullopt on timeout or when the connection ended.
  std::optional<server_frame> read_frame(std::chrono::milliseconds timeout = 3s);
  /// Waits for the server to end the TCP connection (EOF or reset), dropping what it still
  /// sends; false if it is still open after `timeout`.
  bool wait_eof(std::chrono::milliseconds timeout = 3s);
  /// The server ended the connection (EOF or an error) during some read.
  bool ended() const {
    return ended_;
  }
  /// Bytes received after the last complete frame (a truncated frame, garbage).
  std::size_t unparsed_bytes() const {
    return in_.size();
  }
  const std::string& last_error() const {
    return error_;
  }
  void close_socket();

private:
  bool fill(std::chrono::steady_clock::time_point deadline); // reads more into in_

  int fd_ = -1;
  bool ended_ = false;
  std::string in_;
  std::string error_;
};

} // namespace sy::test::raw
