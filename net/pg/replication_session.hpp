#pragma once
// One logical replication stream from PostgreSQL through libpq: checks the server (wal_level,
// the publication, the slot; creating the latter two when allowed), START_REPLICATION with the
// built-in pgoutput plugin, then CopyData in and standby status updates out. Every call is
// bounded by a timeout and returns instead of throwing: the caller (the source actor, on its
// own thread) decides to retry. Not thread-safe: one owner.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/pg/lsn.hpp"

namespace sy::pg {

/// Why the stream is not running. Each has a stable name (`failure_name`) used in logs,
/// metrics and GET /v1/sources.
enum class failure : std::uint8_t {
  none,
  unreachable,        // connection refused, no route, timeout, DNS
  auth_failed,        // password or pg_hba refused us
  permission,         // the role may not replicate, or create the publication/slot
  wal_level,          // wal_level is not logical
  publication_missing,// the publication does not exist and create_publication is false
  slot_missing,       // the slot does not exist and create_slot is false
  slot_active,        // another connection consumes the slot right now
  bad_config,         // e.g. a table named in `tables` does not exist
  protocol,           // a message we cannot decode, or an unexpected result
  disconnected,       // the stream ended or the socket failed after it started
};

std::string_view failure_name(failure f) noexcept;

struct session_error {
  failure kind = failure::none;
  std::string message; // the server's message, or ours; one line
  explicit operator bool() const noexcept { return kind != failure::none; }
};

struct session_options {
  std::string dsn;          // libpq conninfo ("host=… port=… dbname=… user=…")
  std::string publication;  // publication name
  std::string slot;         // slot name
  std::vector<std::string> tables; // for CREATE PUBLICATION … FOR TABLE; empty: FOR ALL TABLES
  bool create_publication = true;
  bool create_slot = true;
  int connect_timeout_s = 5;
};

class replication_session {
public:
  replication_session();
  ~replication_session(); // closes the connections
  replication_session(const replication_session&) = delete;
  replication_session& operator=(const replication_session&) = delete;

  /// Connects (a plain connection for the checks, then a `replication=database` one), checks
  /// wal_level, the publication and the slot (creating them when allowed; an existing
  /// publication is used as it is), and starts streaming from `start` (0: the slot's confirmed
  /// position) with proto_version '1' and the publication. The session runs with DateStyle ISO,
  /// TimeZone UTC, bytea_output hex, extra_float_digits 3.
  session_error start(const session_options& opts, lsn_t start = 0);

  /// Waits up to `timeout_ms` for the socket, then hands every complete CopyData message to
  /// `on_copy_data` (payload bytes, valid during the call) until none is buffered or
  /// `max_messages` were handed over. Returns an error when the stream ended or failed.
  session_error poll(int timeout_ms, std::size_t max_messages,
                     const std::function<void(std::string_view)>& on_copy_data);

  /// Sends a standby status update ('r'): written/flushed/applied positions. Flushes the
  /// socket (bounded: never blocks longer than a short wait).
  session_error send_status(lsn_t written, lsn_t flushed, lsn_t applied, bool reply_requested);

  /// Ends the stream and closes both connections (also done by the destructor).
  void close();

  bool streaming() const noexcept;
  /// The server's identification (IDENTIFY_SYSTEM): xlogpos when started.
  lsn_t server_lsn_at_start() const noexcept;
  /// Where the slot resumed: its confirmed_flush_lsn (for a slot this session created, the
  /// server's position). The source's confirmed position until it confirms more.
  lsn_t slot_confirmed_at_start() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The conninfo the replication connection uses: `dsn` plus replication=database and the
/// session options above (exposed for tests).
std::string replication_conninfo(std::string_view dsn);

} // namespace sy::pg
