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
#include "net/pg/slot_name.hpp"

namespace sy::pg::detail {

/// The settings of the replication connection (its `options`), which the decoder relies on.
extern const char* const session_settings;

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
