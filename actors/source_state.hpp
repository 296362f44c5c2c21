#pragma once
// The state of one source actor (actors/source.cpp: connection, retries, status updates;
// actors/source_stream.cpp: decoded messages to publishes).
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/source.hpp"
#include "actors/source_progress.hpp"
#include "metrics/source_gauges.hpp"
#include "net/pg/pgoutput.hpp"
#include "net/pg/replication_session.hpp"

namespace sy {

using steady = std::chrono::steady_clock;

struct source_state {
  source_args args;
  metrics::source_gauges* gauges = nullptr;
  std::unique_ptr<pg::replication_session> session; // null while not connected
  std::uint64_t generation = 0; // bumped per stream: acks of an earlier stream are stale
  source_progress progress;
  std::deque<std::string> queue; // CopyData read from the socket, not handled yet
  std::unordered_map<std::uint32_t, pg::relation_msg> relations; // by OID, this stream's
  // the open transaction
  pg::lsn_t commit_lsn = 0;
  std::int64_t commit_ms = 0;
  std::uint32_t ordinal = 0; // changes of the open transaction so far (the key's last part)
  // Changes of one transaction reach a wildcard subscriber in commit order only if a change
  // for another channel waits until those in flight are stored: the channel they went to.
  std::string flight_channel;
  publish_request batch; // changes handled in this pump, sent to the directory at its end
  bool blocked = false;  // waiting for acks (barrier or max_in_flight): no pump scheduled
  bool pump_pending = false;
  // status updates
  pg::lsn_t sent_flush = 0;
  steady::time_point last_status{};
  bool reply_requested = false;
  pg::lsn_t server_lsn = 0;
  // failures and retries
  metrics::source_state state = metrics::source_state::connecting;
  std::uint32_t attempt = 0;
  steady::time_point retry_at{};
  std::string error_code;
  std::string error_message;
  std::int64_t error_at_ms = 0;
  std::uint64_t failures = 0;
  bool lag_alert = false;
  // changes/s: the count at the start of the current and the previous 5 s window
  std::uint64_t changes = 0;
  std::uint64_t window_changes = 0;
  steady::time_point window_start = steady::now();
  double changes_per_s = 0;

  static inline const char* name = "source";
};

using source_ptr = source_actor::stateful_pointer<source_state>;

// actors/source_stream.cpp
/// Handles queued CopyData until the queue is empty or the source must wait for acks. False
/// with `err` set when the stream is broken (malformed message, unknown relation).
bool handle_queue(source_ptr self, pg::session_error& err);
/// Sends the changes gathered in this pump to the directory.
void send_batch(source_ptr self);
/// A change's publish completed.
void change_stored(source_ptr self, std::uint64_t generation, std::uint64_t ticket, bool ok);

// actors/source.cpp
/// Drops the stream after `err`: logs, counts, schedules the next attempt with backoff.
void fail_stream(source_ptr self, const pg::session_error& err);
/// Sends a standby status update when the confirmable position moved (at most every 100 ms),
/// when the server asked, or every 10 s.
void maybe_send_status(source_ptr self, bool force = false);
/// Schedules a pump now unless one is pending or the source waits for acks.
void schedule_pump(source_ptr self);

} // namespace sy
