#pragma once

#include <string>

typedef struct pg_conn PGconn;

namespace sy::bench {

// One libpq connection for sy_cdcbench: blocking statements for setup, and one asynchronous
// statement at a time for the measured phases, so the WebSocket subscriber in the same epoll
// loop keeps reading while PostgreSQL works (a blocking call would delay the first delivery
// and flatter the rate).
class pg_client {
public:
  pg_client() = default;
  ~pg_client();
  pg_client(const pg_client&) = delete;
  pg_client& operator=(const pg_client&) = delete;

  // statement_timeout bounds every statement: a stuck one fails the run instead of hanging it.
  bool connect(const std::string& dsn, std::string& err);
  // Runs sql and waits; the first column of the first row ("" when none). false on error.
  bool exec(const std::string& sql, std::string& first, std::string& err);

  // Starts sql without waiting; false when a statement is already running or on error.
  bool send(const std::string& sql, std::string& err);
  // After the socket was readable: consumes input. Returns true when the running statement
  // finished (ok tells whether it succeeded).
  bool on_readable(bool& ok, std::string& err);
  bool busy() const { return busy_; }
  int socket() const;

private:
  PGconn* conn_ = nullptr;
  bool busy_ = false;
};

} // namespace sy::bench
