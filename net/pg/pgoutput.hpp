#pragma once
// The walsender's CopyData messages and the pgoutput plugin's logical replication messages
// (protocol version 1), decoded from bytes. No I/O, no libpq: the replication session hands
// each CopyData payload here. Messages this router does not use (Type, Origin, Message) decode
// to `ignored`; anything malformed is an error with a reason, never a crash or an over-read.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/pg/lsn.hpp"

namespace sy::pg {

/// PostgreSQL timestamps: microseconds since 2000-01-01 00:00:00 UTC.
using pg_time_us = std::int64_t;

/// Unix milliseconds of a PostgreSQL timestamp.
std::int64_t unix_ms(pg_time_us t) noexcept;
/// The PostgreSQL timestamp of Unix microseconds (for standby status updates).
pg_time_us pg_time_from_unix_us(std::int64_t unix_us) noexcept;

// -- CopyData from the walsender --------------------------------------------------------------

/// 'w': WAL data; `payload` points into the decoded buffer.
struct xlog_data {
  lsn_t wal_start = 0;
  lsn_t wal_end = 0; // the server's current end of WAL
  pg_time_us send_time = 0;
  std::string_view payload;
};

/// 'k': primary keepalive.
struct keepalive {
  lsn_t wal_end = 0;
  pg_time_us send_time = 0;
  bool reply_requested = false;
};

using copy_message = std::variant<xlog_data, keepalive>;

/// Decodes one CopyData payload from START_REPLICATION. False (and `error`) when malformed or
/// of an unknown kind.
bool decode_copy_data(std::string_view bytes, copy_message& out, std::string& error);

/// 'r': the standby status update this client sends (34 bytes).
std::string standby_status_update(lsn_t written, lsn_t flushed, lsn_t applied, pg_time_us now,
                                  bool reply_requested);

// -- pgoutput messages (the payload of xlog_data) ------------------------------------------------

struct begin_msg { // 'B'
  lsn_t final_lsn = 0; // the transaction's commit LSN
  pg_time_us commit_time = 0;
  std::uint32_t xid = 0;
};

struct commit_msg { // 'C'
  std::uint8_t flags = 0;
  lsn_t commit_lsn = 0;
  lsn_t end_lsn = 0; // the position after the commit: what a client confirms as flushed
  pg_time_us commit_time = 0;
};

struct column_desc {
  bool key = false; // part of the replica identity (flag bit 1)
  std::string name;
  std::uint32_t type_oid = 0;
  std::int32_t type_mod = -1;
};

struct relation_msg { // 'R'
  std::uint32_t oid = 0;
  std::string nspname;
  std::string name;
  char replica_identity = 'd'; // d default, n nothing, f full, i index
  std::vector<column_desc> columns;
};

/// One column of a tuple: 'n' null, 'u' unchanged TOASTed value (not sent), 't' text.
struct tuple_value {
  char kind = 'n';
  std::string text;
};
using tuple_data = std::vector<tuple_value>;

struct change_msg { // 'I', 'U', 'D'
  char op = 'I';
  std::uint32_t relation_oid = 0;
  char old_kind = 0; // 0: no old tuple; 'K': key columns only; 'O': the whole old row
  tuple_data old_tuple;
  tuple_data new_tuple; // empty for 'D'
};

struct truncate_msg { // 'T'
  std::uint8_t options = 0; // 1 CASCADE, 2 RESTART IDENTITY
  std::vector<std::uint32_t> relation_oids;
};

struct ignored_msg { // 'Y' type, 'O' origin, 'M' message
  char kind = 0;
};

using pgoutput_msg =
  std::variant<begin_msg, commit_msg, relation_msg, change_msg, truncate_msg, ignored_msg>;

/// Decodes one pgoutput message. False (and `error`) when malformed or of an unknown kind.
bool decode_pgoutput(std::string_view bytes, pgoutput_msg& out, std::string& error);

} // namespace sy::pg
