#pragma once
// Rules both HTTP/1.1 state machines (plain_http.cpp, tls_http.cpp) apply alike: the buffers a
// connection keeps between requests, the one reply it writes at a time, and router replies
// that come too late.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "net/http/app_handler.hpp"
#include "net/http/http_head.hpp"
#include "net/http/http_refusals.hpp"
#include "net/io/reply_budget.hpp"

namespace sy {

/// A connection reuses its buffers from one request to the next (no allocation per request)
/// while they are at most this large; a larger one (a big history page, a big body) goes back
/// to the allocator once it has served its request.
constexpr std::size_t kept_buffer_bytes = 65536;

/// Frees `buf` if it grew past kept_buffer_bytes. Call when its contents are no longer needed.
inline void shrink_idle_buffer(std::string& buf) {
  if (buf.capacity() > kept_buffer_bytes)
    std::string().swap(buf);
}

/// Replaces `out` with `reply` on the wire (head, then body) and starts its charge against
/// http.max_pending_reply_bytes_total. A reply the budget has no room for becomes the small
/// 503 busy, which is always admitted.
inline void serialize_reply(std::string& out, reply_charge& charge, http_reply reply,
                            bool keep_alive) {
  format_http_head(out, reply.status, reply.content_type, reply.body.size(), keep_alive,
                   reply.headers);
  if (!charge.begin(out.size() + reply.body.size())) {
    reply = reply_budget_exhausted();
    format_http_head(out, reply.status, reply.content_type, reply.body.size(), keep_alive);
  }
  out += reply.body;
}

/// The reply in `out` has been written (or failed): it no longer counts against the budget,
/// and a large buffer is not kept for the next one.
inline void release_reply(std::string& out, reply_charge& charge) {
  charge.settle(0);
  shrink_idle_buffer(out);
}

/// Numbers a connection's requests to the router. The router answers through a completion that
/// may run after the 503 of the request timeout, or after the connection moved on: such a late
/// reply carries an old number (or finds the connection no longer waiting) and is dropped.
class request_sequence {
public:
  /// The number of the request about to be handed to the router.
  std::uint64_t next() noexcept {
    return ++current_;
  }
  /// Whether the reply to request `seq` is still to be written, on a connection that is
  /// `waiting` for the router.
  bool wanted(std::uint64_t seq, bool waiting) const noexcept {
    return waiting && seq == current_;
  }

private:
  std::uint64_t current_ = 0;
};

} // namespace sy
