#pragma once
// The text and bytes the replication session sends: the walsender commands, the standby status
// update, the conninfo keywords of its connections. Pure functions (no I/O), so their exact
// output is unit-tested. Internal to net/pg (replication_session.cpp).
#include <libpq-fe.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/pg/replication_session.hpp"

namespace sy::pg::detail {

/// The settings of the replication connection (its `options`), which the decoder relies on.
extern const char* const session_settings;

/// "16/B374D848" (private copy; lsn.hpp's format_lsn replaces it once both are merged).
std::string lsn_text(lsn_t lsn);
/// Parses "X/X" (private copy of lsn.hpp's parse_lsn, as above).
bool parse_lsn_text(std::string_view text, lsn_t& out);

/// The standby status update ('r', 34 bytes): three positions, the send time (Unix
/// microseconds, sent as microseconds since 2000-01-01), the reply-requested byte. Private copy
/// of pgoutput.hpp's standby_status_update, as above.
std::string status_update(lsn_t written, lsn_t flushed, lsn_t applied, std::int64_t unix_us,
                          bool reply_requested);

/// PostgreSQL's rule for slot names: 1-63 lower-case letters, digits and underscores.
bool valid_slot_name(std::string_view name);

/// CREATE_REPLICATION_SLOT for a logical pgoutput slot; `slot` must be valid_slot_name.
std::string create_slot_command(std::string_view slot);
/// START_REPLICATION of `slot` from `start` with proto_version 1 and the publication (quoted
/// for any name); `slot` must be valid_slot_name.
std::string start_replication_command(std::string_view slot, lsn_t start,
                                      std::string_view publication);

/// Appends `table` quoted as an identifier per dot-separated part ("s.t" -> "s"."t"). False
/// when a part is empty or cannot be quoted.
bool quote_table(PGconn* conn, std::string_view table, std::string& out);

/// The libpq keywords of a connection: `dsn` (a conninfo or URI, expanded by libpq), then the
/// connect timeout and, for the replication connection, replication=database and `options`
/// (the dsn's own options first, then session_settings). Empty (and `err`) when the dsn does
/// not parse.
std::vector<std::pair<std::string, std::string>> conn_keywords(const session_options& o,
                                                               bool replication,
                                                               session_error& err);

} // namespace sy::pg::detail
