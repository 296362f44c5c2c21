#include "pg_client.hpp"

#include <libpq-fe.h>

namespace sy::bench {

pg_client::~pg_client() {
  if (conn_) PQfinish(conn_);
}

bool pg_client::connect(const std::string& dsn, std::string& err) {
  conn_ = PQconnectdb((dsn + " connect_timeout=10 options='-c statement_timeout=120000'").c_str());
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
    err = conn_ ? PQerrorMessage(conn_) : "out of memory";
    return false;
  }
  return true;
}

int pg_client::socket() const { return conn_ ? PQsocket(conn_) : -1; }

bool pg_client::exec(const std::string& sql, std::string& first, std::string& err) {
  if (busy_) {
    err = "a statement is running";
    return false;
  }
  PGresult* r = PQexec(conn_, sql.c_str());
  auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok) err = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  first.clear();
  if (ok && st == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0)
    first = PQgetvalue(r, 0, 0);
  PQclear(r);
  return ok;
}

bool pg_client::send(const std::string& sql, std::string& err) {
  if (busy_) {
    err = "a statement is running";
    return false;
  }
  if (!PQsendQuery(conn_, sql.c_str())) {
    err = PQerrorMessage(conn_);
    return false;
  }
  busy_ = true;
  return true;
}

bool pg_client::on_readable(bool& ok, std::string& err) {
  // Consumed even when idle: the socket is level-triggered in the caller's epoll set.
  if (!PQconsumeInput(conn_)) {
    err = PQerrorMessage(conn_);
    ok = false;
    bool was_busy = busy_;
    busy_ = false;
    return was_busy;
  }
  ok = true;
  if (!busy_) return false;
  while (!PQisBusy(conn_)) {
    PGresult* r = PQgetResult(conn_);
    if (!r) {
      busy_ = false;
      return true;  // every result of the statement consumed
    }
    auto st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      ok = false;
      err = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  return false;
}

} // namespace sy::bench
