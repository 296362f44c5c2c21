#pragma once
// The stored event and its encoded forms. An event is immutable once its channel has sequenced
// it; everything downstream shares it through `event_ptr`.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schema/dialects/id.hpp"
#include "schema/frame.hpp"

namespace sy {

/// Metadata as (key, scalar text) pairs for filter matching; see json_text.hpp for the rule.
using metadata_index = std::vector<std::pair<std::string, std::string>>;

struct event {
  std::string channel;
  std::uint64_t epoch = 0;        // incarnation of the channel; part of the cursor
  std::uint64_t seq = 0;          // 1-based, gap-free within an epoch
  std::int64_t timestamp_ms = 0;  // wall clock, UTC
  std::string type;
  std::string data_json;          // serialized JSON value
  std::string metadata_json;      // serialized JSON object ("{}" when absent)
  metadata_index metadata;
  std::string idempotency_key;    // empty when none
  std::string correlation_id;     // empty when none
};

/// An event plus the bytes every consumer needs, built once by the channel.
struct encoded_event {
  event ev;
  std::string id;          // opaque cursor
  std::string rest_json;   // the stored-event object returned by REST
  // The live frame per dialect, by dialect id; null where the dialect has no shape for this
  // channel (only workspace channels have gateway frames, only their postgres: channels
  // SnackBase ones).
  std::array<frame_ptr, dialect_count> live;

  const frame_ptr& frame(dialect d) const noexcept {
    return live[static_cast<std::size_t>(d)];
  }
  const frame_ptr& fabric_live() const noexcept {
    return frame(dialect::fabric);
  }
};

using event_ptr = std::shared_ptr<const encoded_event>;

/// Events a channel fans out together (published back-to-back), oldest first. One allocation
/// shared by every receiving session.
using event_batch = std::shared_ptr<const std::vector<event_ptr>>;

// -- cursors --------------------------------------------------------------------------------------

struct cursor {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0; // the last event the holder has seen; 0 = before the first
};

std::string format_cursor(cursor c);
/// Parses a cursor produced by format_cursor; nullopt for anything else.
std::optional<cursor> parse_cursor(std::string_view text);

// -- time -----------------------------------------------------------------------------------------

std::int64_t wall_clock_ms();
std::int64_t steady_clock_ms();
/// RFC 3339 UTC with milliseconds: 2026-01-15T10:00:00.000Z
std::string format_timestamp(std::int64_t ms_since_epoch);
/// The same, appended to `out` (no temporary string).
void append_timestamp(std::string& out, std::int64_t ms_since_epoch);

// -- encoding -------------------------------------------------------------------------------------

/// Fills id, rest_json and the live frame of every registered dialect that serves the channel
/// (schema/dialects/registry.cpp): each encoded once here, shared by every subscriber.
/// An event without data_json (a published event always has some JSON text) is a receipt: the
/// idempotency window's answer for an event that has left the history. Its rest_json is the
/// stored-event object without "data" and "metadata", and it has no live frames.
encoded_event encode_event(event e);

} // namespace sy

namespace sy {

/// Channel names: 1..200 bytes of [A-Za-z0-9._:-]. Wildcards are not channel names.
bool valid_channel_name(std::string_view name);

/// Wildcard subscriptions: "*" (every channel) or "<prefix>*" with a prefix of channel-name
/// characters, e.g. "postgres:*". The star is only allowed last.
bool valid_channel_pattern(std::string_view pattern);

} // namespace sy
