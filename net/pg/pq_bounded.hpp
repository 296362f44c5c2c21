#pragma once
// libpq calls with a deadline, and what a server's error means for a replication session.
// libpq's blocking calls (PQconnectdb, PQexec) wait as long as the server takes; these poll the
// socket and give up at the deadline, so a silent server cannot stall the caller's thread.
// Internal to net/pg (replication_session.cpp).
#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/pg/replication_session.hpp"

namespace sy::pg::detail {

struct conn_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct result_clearer {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

using deadline = std::chrono::steady_clock::time_point;

/// Milliseconds left until `dl` (0 when passed).
int remaining_ms(deadline dl) noexcept;

/// Connects with the conninfo keywords in order (`dbname` may hold a whole conninfo or URI:
/// it is expanded, and the keywords after it override its values). Null (and `err`) when the
/// connection failed or `dl` passed.
conn_ptr connect(const std::vector<std::pair<std::string, std::string>>& keywords, deadline dl,
                 session_error& err);

/// Sends `sql` (the simple query protocol; the extended one when `params` is not empty) and
/// collects its results until the last one, or until a COPY result (START_REPLICATION). Null
/// (and `err`) on a server error, a broken connection or the deadline; `fallback` is the kind
/// of an error that has no more specific one.
result_ptr exec(PGconn* conn, const std::string& sql, const std::vector<std::string>& params,
                deadline dl, failure fallback, session_error& err);

/// The failure a server's error result stands for (by SQLSTATE, then message), with its
/// message on one line.
session_error classify(const PGresult* res, failure fallback);

/// The failure a failed connection attempt stands for, from libpq's message.
session_error classify_connect(std::string_view message);

/// `text` on one line: line breaks become spaces, trailing whitespace goes.
std::string one_line(std::string_view text);

} // namespace sy::pg::detail
