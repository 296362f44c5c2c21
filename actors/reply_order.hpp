#pragma once
// The order of one connection's replies. A subscribe is confirmed by its channel (an ack that
// comes back later), while refusals, pongs and unsubscribe confirmations are decided by the
// session at once: sent straight away they would overtake confirmations of earlier commands
// (the 101st SnackBase subscribe was refused before the first 100 were confirmed). Each
// command's reply takes a place here in command order; a place waiting for its ack holds back
// every reply behind it, and live events of a subscription wait behind its confirmation.
#include <cstdint>
#include <string>
#include <vector>

#include "schema/event.hpp"

namespace sy {

/// One thing the session writes to its connection, in order.
struct outgoing {
  frame_ptr frame;               // a text message, or
  event_batch batch;             // the live frames of batch[offset..], or
  std::uint32_t offset = 0;
  std::uint16_t close_code = 0;  // non-zero: close the connection (nothing after it matters)
  std::string close_reason;
};

class reply_order {
public:
  using ticket = std::uint64_t;

  /// True when nothing is held: a reply may be written at once.
  bool empty() const noexcept {
    return entries_.empty();
  }

  /// Takes the next place for a reply that comes later (a subscribe's ack).
  ticket reserve(std::int64_t now_ms);

  /// Adds to the place of `t` (its confirmation, replay, or live events that arrive before it
  /// leaves). False when that place has already been written: `o` is left untouched, write it
  /// directly.
  bool add(ticket t, outgoing&& o, std::size_t bytes);

  /// `t` has its whole reply: it leaves once every place before it has.
  void complete(ticket t);

  /// A reply decided now, behind everything held. Only while !empty().
  void push(outgoing o, std::size_t bytes);

  /// Removes and returns, oldest first, what may be written now: the complete places at the
  /// front.
  std::vector<outgoing> take_ready();

  /// Stops waiting for places reserved before now_ms - max_wait_ms (their ack was lost, e.g. a
  /// channel died): they are treated as complete with what they hold.
  void give_up_before(std::int64_t now_ms, std::int64_t max_wait_ms);

  /// Bytes of frames held back (live batches counted by the caller's estimate).
  std::size_t held_bytes() const noexcept {
    return bytes_;
  }

private:
  struct entry {
    ticket id = 0;
    bool complete = false;
    std::int64_t since_ms = 0;
    std::size_t bytes = 0;
    std::vector<outgoing> out;
  };

  entry* find(ticket t);

  // Ascending ids. A vector, not a deque: libstdc++'s deque allocates ~600 bytes even when
  // empty, and every connection has one of these; few places are ever held at once.
  std::vector<entry> entries_;
  ticket next_ = 1;
  std::size_t bytes_ = 0;
};

} // namespace sy
