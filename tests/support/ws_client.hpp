#pragma once
// Synchronous WebSocket test client. Beast stays inside beast_clients.cpp: this header is cheap.
// Every read is bounded by a timeout; a read that times out stays pending and is resumed by the
// next read, so no frame is ever lost to a timeout.
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sy::test {

using header_list = std::vector<std::pair<std::string, std::string>>;
using namespace std::chrono_literals;

/// How the connection ended, as seen by the client.
struct close_status {
  int code = 0;        // close code from the server's close frame; 1006 when the TCP link dropped
  std::string reason;  // reason text of the close frame
  std::string error;   // transport error text (for 1006)
};

struct ws_connect_options {
  header_list headers;                    // e.g. Origin, Authorization, User-Agent
  int rcvbuf_bytes = 0;                   // >0: SO_RCVBUF before connect (slow-consumer tests)
  int sndbuf_bytes = 0;                   // >0: SO_SNDBUF, so a big frame leaves in one write
  std::chrono::milliseconds timeout = 5s; // TCP connect + handshake
};

class ws_client {
public:
  ws_client();
  ~ws_client();
  ws_client(ws_client&&) noexcept;
  ws_client& operator=(ws_client&&) noexcept;

  /// Connects to 127.0.0.1:port and upgrades. Returns 101 on success, the HTTP status of a
  /// refused upgrade (body in refusal_body()), or 0 when the TCP connect/handshake failed.
  int connect(std::uint16_t port, const std::string& target, const ws_connect_options& opts = {});
  const std::string& refusal_body() const;
  std::string last_error() const;

  /// False when the write failed (connection gone).
  bool send_text(const std::string& text);
  bool send_binary(const std::string& bytes);
  /// One text message sent as parts.size() frames (continuation frames after the first).
  bool send_fragmented(const std::vector<std::string>& parts);
  /// Sends a WebSocket ping and waits for the pong (text frames read meanwhile are kept).
  bool ping(std::chrono::milliseconds timeout = 3s);

  /// Next text frame, or nullopt on timeout / closed connection (see closed()).
  std::optional<std::string> read_text(std::chrono::milliseconds timeout = 3s);
  /// Next text frame parsed as JSON; null on timeout/close. A frame that is not JSON comes back
  /// as a JSON string holding the raw text, so the test's expectation fails with the evidence.
  boost::json::value read_json(std::chrono::milliseconds timeout = 3s);

  /// Sends a close frame with `code` and waits (bounded) for the server's answer.
  void close(int code = 1000);
  /// Drops the TCP connection without a close frame (simulates a crashed client).
  void abort();

  bool is_open() const;
  /// Set once the connection has ended (server close frame, or transport error).
  std::optional<close_status> closed() const;
  /// Reads (discarding frames) until the connection ends or `timeout` passes; returns how it
  /// ended. Frames read meanwhile are counted in `frames_discarded` when given.
  std::optional<close_status> wait_closed(std::chrono::milliseconds timeout,
                                          std::size_t* frames_discarded = nullptr);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sy::test
