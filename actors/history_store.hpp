#pragma once
// Per-channel event history held in memory: with the memory engine all of it, with the durable
// store the channel's hot tail. Owned and used by one channel actor only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "schema/event.hpp"

namespace sy {

class history_store {
public:
  virtual ~history_store() = default;
  /// Appends the next event; seq must be last_seq() + 1 (or anything when empty).
  virtual void append(event_ptr e) = 0;
  /// Drops the oldest events whose timestamp_ms is before cutoff_ms (history TTL); returns
  /// the seq of the last one dropped, 0 when none was.
  virtual std::uint64_t expire_before(std::int64_t cutoff_ms) = 0;
  /// Oldest retained seq, 0 when empty.
  virtual std::uint64_t first_seq() const = 0;
  /// Newest retained seq, 0 when empty.
  virtual std::uint64_t last_seq() const = 0;
  virtual std::size_t size() const = 0;
  /// What the retained events keep alive, by event_footprint.
  virtual std::size_t bytes() const = 0;
  /// Retained events with seq > after, oldest first, at most `limit`.
  virtual std::vector<event_ptr> read_after(std::uint64_t after, std::size_t limit) const = 0;
  /// The newest `n` retained events, oldest first.
  virtual std::vector<event_ptr> last(std::size_t n) const = 0;
};

class byte_budget;

/// The bytes an event keeps alive in memory (its strings and live frames), an estimate.
std::size_t event_footprint(const encoded_event& e);

/// A bounded ring: the oldest event leaves when `capacity` is reached, and while `node` (the
/// node's storage.cache_bytes, shared by every channel) is over its bound, the ring drops its
/// own oldest events down to the newest one.
std::unique_ptr<history_store> make_memory_history(std::size_t capacity,
                                                   std::shared_ptr<byte_budget> node = nullptr);

} // namespace sy
