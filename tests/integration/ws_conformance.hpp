#pragma once
// Helpers of the WebSocket conformance suite (test_ws_conformance*.cpp): raw frames over a real
// socket to the daemon's Fabric endpoint /realtime, organised like the Autobahn|Testsuite server
// sections. Switchyard is not an echo server, so a message that arrived whole is observed by the
// Fabric reply to it: {"op":"ping"} (padded with JSON whitespace to any length) answers
// {"op":"pong"}. WebSocket pings are answered by pongs with the same payload; bad input gets the
// close code PROTOCOL.md documents.
#include "fixture.hpp"
#include "support/raw_ws.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sy::test::conformance {

namespace raw = sy::test::raw;

inline const std::string ping_cmd = R"({"op":"ping"})";
inline const std::string pong_reply = R"({"op":"pong"})";

/// Daemon arguments for the suite: realtime.max_frames_per_s raised so that messages of
/// hundreds of fragments pass (the limit itself is section 9's subject).
std::vector<std::string> suite_args();

/// {"op":"ping"} padded with JSON whitespace to exactly `n` bytes (n >= 13).
std::string padded_ping(std::size_t n);

/// `payload` cut into frames of `size` bytes: text first, continuations after, the last final.
std::string fragmented(std::string_view payload, std::size_t size);

/// Connects a raw client to /realtime and REQUIREs the upgrade.
void open(raw::client& c, const daemon_process& d);

/// CHECKs that `f` is framed as RFC 6455 wants of a server: final, no RSV bits, unmasked, the
/// shortest length form.
void check_server_framing(const raw::server_frame& f);

/// The next frame is a text frame holding exactly `expected`.
void expect_text(raw::client& c, const std::string& expected,
                 std::chrono::milliseconds timeout = std::chrono::seconds(3));
/// The next frame is a pong carrying `payload`.
void expect_pong(raw::client& c, std::string_view payload);
/// No frame arrives within `quiet`, and the connection stays open.
void expect_quiet(raw::client& c, std::chrono::milliseconds quiet = std::chrono::milliseconds(200));

struct close_result {
  int code = -1; // -1: no close frame came; 0: a close frame without a code
  std::string reason;
  std::vector<raw::server_frame> before; // frames that preceded the close frame
  std::size_t after = 0;                 // frames after it (a server must send none)
  bool eof = false;                      // the server ended the TCP connection
};

/// Reads up to the server's close frame; answers it with a close frame of the same code (as a
/// client must) unless `answer` is false (then just drops the socket), and waits for the server
/// to end the TCP connection.
close_result read_close(raw::client& c, bool answer = true);

/// read_close, then CHECKs: close `code`, no frame before or after it, and (when answering)
/// that the server ended TCP.
close_result expect_close(raw::client& c, int code, bool answer = true);

} // namespace sy::test::conformance
