#pragma once
// A throwaway PostgreSQL 15 server for tests: initdb into a fresh temporary directory owned by
// the `postgres` system user (PostgreSQL refuses to run as root), started with pg_ctl on
// 127.0.0.1 and an ephemeral port, wal_level=logical (or as asked), stopped and removed by the
// destructor. Plus a small SQL client (libpq) for the test's own statements.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sy::test {

struct pg_options {
  std::string wal_level = "logical";
  int max_replication_slots = 10;
  int max_wal_senders = 10;
};

/// Whether PostgreSQL 15's server binaries are installed (/usr/lib/postgresql/15/bin).
bool pg_available();

class pg_server {
public:
  /// initdb + start; throws std::runtime_error (with the server log's tail) on failure.
  explicit pg_server(pg_options opts = {});
  ~pg_server(); // pg_ctl stop -m immediate, then removes the directory
  pg_server(const pg_server&) = delete;
  pg_server& operator=(const pg_server&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// "host=127.0.0.1 port=P dbname=postgres user=postgres" (trust authentication).
  std::string dsn() const;

  /// pg_ctl restart -m fast (or immediate), keeping the port; `wal_level` changes the setting
  /// first when given. Throws on failure.
  void restart(bool immediate = false, std::optional<std::string> wal_level = std::nullopt);
  void stop(bool immediate = false);
  void start();

  /// Runs `sql` (one or more statements, simple query protocol); throws with the server's
  /// message on error.
  void exec(const std::string& sql) const;
  /// The first column of each row of `sql`'s result (NULL as "").
  std::vector<std::string> column(const std::string& sql) const;

private:
  pg_options opts_;
  std::string dir_;
  std::uint16_t port_ = 0;
};

} // namespace sy::test
