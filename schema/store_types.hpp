#pragma once
// The history store's records and error codes (DURABILITY.md). Pure, no CAF: the RocksDB
// wrapper (actors/rocksdb_store.hpp) uses them as they are; schema/store_messages.hpp makes them
// messages. A store_status becomes a caf::error of the category "store" there, so a caller
// matches the code, never the text.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/event.hpp"

namespace sy {

enum class store_errc : std::uint8_t {
  none = 0,
  locked = 1,               // storage.dir is open in another process (RocksDB's LOCK file)
  corrupt = 2,              // a file of the store, or a stored record, cannot be decoded
  io_error = 3,             // the directory or a file cannot be read or created
  insufficient_storage = 4, // a write failed (disk full, I/O error): nothing was stored
  invalid_argument = 5,     // a request the store refuses (checkpoint into an existing dir ...)
};

constexpr std::string_view to_string(store_errc e) noexcept {
  switch (e) {
    case store_errc::none:
      return "none";
    case store_errc::locked:
      return "locked";
    case store_errc::corrupt:
      return "corrupt";
    case store_errc::io_error:
      return "io_error";
    case store_errc::insufficient_storage:
      return "insufficient_storage";
    case store_errc::invalid_argument:
      return "invalid_argument";
  }
  return "unknown";
}

/// A code and a message for people (names the directory or file). Default: success.
struct store_status {
  store_errc code = store_errc::none;
  std::string message;

  bool ok() const noexcept {
    return code == store_errc::none;
  }
  explicit operator bool() const noexcept {
    return ok();
  }
  static store_status fail(store_errc c, std::string text) {
    return {c, std::move(text)};
  }
};

/// What a duplicate publish needs once its event has left the history (the idempotency
/// window's receipt, actors/idempotency_window.hpp), plus its key and when it ends.
struct store_receipt {
  std::string key;
  std::uint64_t seq = 0;
  std::int64_t timestamp_ms = 0;
  std::string type;
  std::string correlation_id;
  std::int64_t expires_ms = 0; // wall clock; the receipt is gone after this
};

/// A channel's place: the incarnation and the seq its next event gets.
struct store_channel_meta {
  std::uint64_t epoch = 0;
  std::uint64_t next_seq = 1;
};

/// A channel as the store holds it: its place, where its events start, its receipts.
struct store_channel_state {
  bool found = false; // false: the store holds nothing for the channel (the rest is empty)
  store_channel_meta meta;
  std::uint64_t first_seq = 0; // oldest stored event, 0 when none
  std::vector<store_receipt> receipts; // unexpired ones, in key order
};

/// A room's persisted part (PROTOCOL.md "Rooms"): its collaborative state with its version,
/// and its metadata. Presence is never stored: members join again when they reconnect.
struct store_room {
  bool found = false; // false: the store holds nothing for the room (a fresh one)
  std::uint64_t version = 0;
  std::string state_json = "{}";
  std::string metadata_json = "{}";
  // In a cluster or with the store: member ids below it may have been given out (the owner
  // reserves ids in blocks and stores the block's end before giving one), so the next owner or
  // incarnation of the room starts here and no id is given twice.
  std::uint64_t id_floor = 0;
};

/// Stored events of one channel, oldest first.
struct store_page {
  std::vector<event> events;
  bool has_more = false; // more events follow the last one (limit or max_bytes reached)
};

/// A value or the status saying why there is none (C++17 has no std::expected).
template <class T>
class store_expected {
public:
  store_expected(T value) : value_(std::move(value)) {
  }
  store_expected(store_status failure) : status_(std::move(failure)) {
  }
  explicit operator bool() const noexcept {
    return status_.ok();
  }
  T& operator*() noexcept {
    return value_;
  }
  T* operator->() noexcept {
    return &value_;
  }
  const store_status& error() const noexcept {
    return status_;
  }

private:
  T value_{};
  store_status status_;
};

} // namespace sy
