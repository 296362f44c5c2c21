#pragma once
// What a WebSocket connection enforces; the listener's server_options carries the values
// (server_options::websocket()).
#include <cstddef>
#include <cstdint>

namespace sy {

struct ws_limits {
  std::size_t max_message_bytes = 65536;   // realtime.max_frame_bytes; 1009 above
  std::size_t max_frames_per_s = 200;      // inbound frames, all opcodes; 4008 above
  std::size_t outbound_queue_bytes = 1 << 20; // waiting behind a write; 4009 above
  std::int64_t close_timeout_ms = 5000;    // close handshake, then the socket goes
};

} // namespace sy
