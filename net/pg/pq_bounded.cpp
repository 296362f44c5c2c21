#include "net/pg/pq_bounded.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace sy::pg::detail {

namespace {

bool has(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A connection that broke (or a server that went silent) while starting is one the caller
// should retry later: unreachable. Once streaming, the same is a disconnect.
failure broken_kind(failure fallback) {
  return fallback == failure::disconnected ? failure::disconnected : failure::unreachable;
}

session_error broken(PGconn* conn, failure fallback) {
  std::string msg = one_line(PQerrorMessage(conn));
  return {broken_kind(fallback), msg.empty() ? "the connection to the server broke" : msg};
}

// The statement's first words, for a timeout's message (never its parameters).
std::string what(const std::string& sql) {
  auto end = sql.find_first_of(" (");
  return end == std::string::npos ? sql : sql.substr(0, std::min<std::size_t>(end, 40));
}

} // namespace

int remaining_ms(deadline dl) noexcept {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    dl - std::chrono::steady_clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ')
        out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

conn_ptr connect(const std::vector<std::pair<std::string, std::string>>& keywords, deadline dl,
                 session_error& err) {
  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (auto& [k, v] : keywords) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  // expand_dbname = 1: `dbname` may be a whole conninfo or a postgresql:// URI.
  conn_ptr c(PQconnectStartParams(keys.data(), values.data(), 1));
  if (!c) {
    err = {failure::unreachable, "libpq could not allocate a connection"};
    return {};
  }
  if (PQstatus(c.get()) == CONNECTION_BAD) {
    err = classify_connect(PQerrorMessage(c.get()));
    return {};
  }
  // libpq's documented start: act as if PQconnectPoll had returned PGRES_POLLING_WRITING.
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  for (;;) {
    if (st == PGRES_POLLING_OK)
      return c;
    if (st == PGRES_POLLING_FAILED) {
      err = classify_connect(PQerrorMessage(c.get()));
      return {};
    }
    int ms = remaining_ms(dl);
    if (ms == 0) {
      err = {failure::unreachable, "no connection to the server within the connect timeout"};
      return {};
    }
    // The socket can change between attempts (several hosts or addresses): ask each time.
    pollfd p{PQsocket(c.get()), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT),
             0};
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno != EINTR) {
      err = {failure::unreachable, "poll failed while connecting"};
      return {};
    }
    if (n > 0)
      st = PQconnectPoll(c.get());
  }
}

result_ptr exec(PGconn* conn, const std::string& sql, const std::vector<std::string>& params,
                deadline dl, failure fallback, session_error& err) {
  int sent = 0;
  if (params.empty()) {
    sent = PQsendQuery(conn, sql.c_str());
  } else {
    std::vector<const char*> values;
    for (auto& p : params)
      values.push_back(p.c_str());
    sent = PQsendQueryParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  }
  if (!sent) {
    err = broken(conn, fallback);
    return {};
  }
  result_ptr last;
  result_ptr first_error;
  for (;;) {
    while (PQisBusy(conn)) {
      int ms = remaining_ms(dl);
      if (ms == 0) {
        err = {broken_kind(fallback), "no answer from the server to " + what(sql) +
                                        " within the time allowed"};
        return {};
      }
      int flushed = PQflush(conn);
      if (flushed < 0) {
        err = broken(conn, fallback);
        return {};
      }
      pollfd p{PQsocket(conn), static_cast<short>(POLLIN | (flushed == 1 ? POLLOUT : 0)), 0};
      int n = ::poll(&p, 1, ms);
      if ((n < 0 && errno != EINTR) || (n > 0 && !PQconsumeInput(conn))) {
        err = broken(conn, fallback);
        return {};
      }
    }
    result_ptr r(PQgetResult(conn));
    if (!r)
      break;
    auto st = PQresultStatus(r.get());
    // A COPY result does not end with a null result: the stream starts here.
    if (st == PGRES_COPY_BOTH || st == PGRES_COPY_OUT || st == PGRES_COPY_IN)
      return r;
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      if (!first_error)
        first_error = std::move(r);
    } else {
      last = std::move(r);
    }
  }
  if (first_error) {
    err = classify(first_error.get(), fallback);
    return {};
  }
  if (!last) {
    err = {failure::protocol, "no result from the server for " + what(sql)};
    return {};
  }
  return last;
}

session_error classify(const PGresult* res, failure fallback) {
  const char* state_c = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string_view state = state_c ? state_c : "";
  std::string msg = one_line(primary ? primary : PQresultErrorMessage(res));
  if (msg.empty())
    msg = "the server reported an error";
  if (!state.empty())
    msg += " (SQLSTATE " + std::string(state) + ")";
  failure kind = fallback;
  if (state == "42501")
    kind = failure::permission;
  else if (state.substr(0, 2) == "28")
    kind = failure::auth_failed;
  else if (state == "55006") // object in use: "replication slot … is active for PID …"
    kind = failure::slot_active;
  else if (state == "55000" && has(msg, "wal_level"))
    kind = failure::wal_level;
  else if (state == "42704") // undefined object
    kind = has(msg, "replication slot") ? failure::slot_missing
           : has(msg, "publication")    ? failure::publication_missing
                                        : failure::bad_config;
  else if (state == "42P01" || state == "3D000" || state == "42602" || state == "53400")
    // no such table, no such database, an invalid slot name, every slot in use
    kind = failure::bad_config;
  else if (state.substr(0, 3) == "57P" || state.substr(0, 2) == "08")
    kind = broken_kind(fallback); // the server shuts down or the connection failed
  return {kind, std::move(msg)};
}

session_error classify_connect(std::string_view message) {
  std::string msg = one_line(message);
  if (msg.empty())
    msg = "could not connect to the server";
  failure kind = failure::unreachable;
  if (has(msg, "password authentication failed") || has(msg, "no pg_hba.conf entry") ||
      has(msg, "authentication failed") || has(msg, "no password supplied") ||
      (has(msg, "role \"") && has(msg, "does not exist")))
    kind = failure::auth_failed;
  else if (has(msg, "must be superuser or replication role") || has(msg, "permission denied"))
    kind = failure::permission;
  else if (has(msg, "database \"") && has(msg, "does not exist"))
    kind = failure::bad_config;
  return {kind, std::move(msg)};
}

} // namespace sy::pg::detail
