#pragma once

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <string>
#include <string_view>

namespace sy::bench {

// Callbacks of a WebSocket client connection; id is the owner's index of the connection.
class ws_handler {
public:
  virtual void on_ws_open(std::size_t id) = 0;
  // One complete text/binary message (continuation frames already joined).
  virtual void on_ws_message(std::size_t id, const char* data, std::size_t len) = 0;
  virtual void on_ws_closed(std::size_t id, const char* why) = 0;

protected:
  ~ws_handler() = default;
};

// Minimal RFC 6455 client over a non-blocking socket: HTTP upgrade, masked client frames,
// unmasked server frames with 7/16/64-bit lengths, fragmentation, ping → pong, close echo.
// Kept small per instance (three empty strings when idle) because a run holds 10k of them.
class ws_conn {
public:
  enum class state : uint8_t { idle, connecting, upgrading, open, closed };

  // Starts connecting; the upgrade request for `host_port` + `path` is sent once connected.
  bool start(int epfd, uint64_t tag, const sockaddr_in& src, const sockaddr_in& dst,
             const std::string& host_port, const std::string& path);
  // Dispatches one epoll readiness report. scratch is a shared read buffer.
  void handle(uint32_t events, ws_handler& h, std::size_t id, char* scratch, std::size_t cap);
  // Queues one masked text frame; false when the connection is not usable.
  bool send_text(std::string_view payload);
  void close_now();
  state st() const { return state_; }
  int fd() const { return fd_; }

private:
  bool send_frame(uint8_t opcode, const char* payload, std::size_t len);
  bool write_or_queue(const char* p, std::size_t n);
  bool flush();
  void fail(ws_handler& h, std::size_t id, const char* why);
  // Parses complete frames from p; returns bytes consumed.
  std::size_t parse_frames(ws_handler& h, std::size_t id, const char* p, std::size_t n);
  void on_frame(ws_handler& h, std::size_t id, bool fin, uint8_t op, const char* p, std::size_t n);
  void on_bytes(ws_handler& h, std::size_t id, const char* p, std::size_t n);

  int fd_ = -1;
  int epfd_ = -1;
  uint64_t tag_ = 0;
  state state_ = state::idle;
  bool want_write_ = false;
  uint8_t msg_opcode_ = 0;  // opcode of the fragmented message being joined
  std::string out_;         // unsent bytes (also the upgrade request while connecting)
  std::string in_;          // partial frame / partial upgrade response
  std::string msg_;         // joined fragments
};

} // namespace sy::bench
