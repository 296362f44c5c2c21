#include "support/pg_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace sy::test {

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

constexpr const char* pg_bin = "/usr/lib/postgresql/15/bin";
// initdb takes ~2-5 s here, a start or stop well under 5 s; the bounds leave room for a loaded
// machine (four builds on two cores) without letting a wedged command hang the suite.
constexpr auto initdb_timeout = 120s;
constexpr auto ctl_timeout = 60s;
constexpr int ctl_wait_s = 45; // pg_ctl's own -t, below ctl_timeout so pg_ctl reports first
constexpr int start_attempts = 5;

std::string bin(const char* name) { return std::string(pg_bin) + "/" + name; }

bool running_as_root() { return ::geteuid() == 0; }

std::string runuser_path() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"})
    if (::access(p, X_OK) == 0)
      return p;
  return "runuser";
}

struct run_result {
  bool ok = false; // exited with status 0 within the time allowed
  std::string output; // stdout and stderr together
};

// Runs argv (argv[0] an absolute path) in `cwd` as the server's user: through `runuser -u
// postgres` when root (PostgreSQL refuses to run as root), else directly. fork/exec with an
// argument vector: no shell parses a path. The child is killed when `limit` passes.
run_result run(std::vector<std::string> argv, const std::string& cwd,
               std::chrono::seconds limit) {
  if (running_as_root())
    argv.insert(argv.begin(), {runuser_path(), "-u", "postgres", "--"});
  std::vector<char*> cargv;
  for (auto& a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);

  run_result r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.output = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    r.output = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return r;
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      ::dup2(null_fd, 0);
    if (::chdir(cwd.c_str()) != 0)
      ::_exit(126);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  auto deadline = clock_type::now() + limit;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left <= 0ms) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 500)));
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0) {
      ssize_t got = ::read(fds[0], buf, sizeof buf);
      if (got > 0) {
        if (r.output.size() < 64 * 1024)
          r.output.append(buf, static_cast<std::size_t>(got));
        continue;
      }
      if (got == 0 || errno != EINTR)
        break; // EOF: the child and everything it started closed the pipe
    }
  }
  ::close(fds[0]);
  if (timed_out)
    ::kill(pid, SIGKILL);
  int status = 0;
  // After EOF the child exits at once; after a kill, at once too. Bounded anyway.
  for (int i = 0; i < 100; ++i) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR)
      break;
    if (i == 50)
      ::kill(pid, SIGKILL);
    ::usleep(50'000);
  }
  r.ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (timed_out)
    r.output += "\n(killed after " + std::to_string(limit.count()) + " s)";
  return r;
}

std::string tail_of_file(const std::string& path, std::size_t max_bytes = 3000) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

// An ephemeral loopback port the kernel just handed out. Another process may take it before
// the server binds it: start() retries with a new one when the log says so.
std::uint16_t pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

struct conn_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct result_clearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

// One statement batch on a fresh connection; the result of the last statement, or throws.
result_ptr run_sql(const std::string& dsn, const std::string& sql) {
  // statement_timeout: a test statement stuck on a lock fails instead of hanging the suite.
  conn_ptr c(PQconnectdb((dsn + " connect_timeout=10 options='-c statement_timeout=60000'").c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error("pg_server: cannot connect (" + dsn + "): " +
                             (c ? PQerrorMessage(c.get()) : "out of memory"));
  result_ptr r(PQexec(c.get(), sql.c_str()));
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error("pg_server: `" + sql + "` failed: " +
                             (r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c.get())));
  return r;
}

} // namespace

bool pg_available() {
  for (const char* name : {"initdb", "pg_ctl", "postgres"})
    if (::access(bin(name).c_str(), X_OK) != 0)
      return false;
  return true;
}

pg_server::pg_server(pg_options opts) : opts_(std::move(opts)) {
  if (!pg_available())
    throw std::runtime_error(std::string("pg_server: PostgreSQL 15 server binaries not found in ") +
                             pg_bin + " (install postgresql-15: scripts/deps.sh)");
  std::string tmpl = "/tmp/sy-pg-XXXXXX";
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error(std::string("pg_server: mkdtemp: ") + std::strerror(errno));
  dir_ = tmpl;
  try {
    if (running_as_root()) {
      passwd* pw = ::getpwnam("postgres");
      if (!pw)
        throw std::runtime_error("pg_server: running as root and there is no `postgres` user");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        throw std::runtime_error(std::string("pg_server: chown: ") + std::strerror(errno));
    }
    ::chmod(dir_.c_str(), 0700);
    // -A trust: the tests' own throwaway server, on loopback only. Its pg_hba.conf lets
    // 127.0.0.1 connect both as a database client and for replication.
    auto r = run({bin("initdb"), "-D", dir_ + "/data", "-A", "trust", "-U", "postgres", "-E",
                  "UTF8", "--locale=C", "--no-sync"},
                 dir_, initdb_timeout);
    if (!r.ok)
      throw std::runtime_error("pg_server: initdb failed: " + r.output);
    start();
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

pg_server::~pg_server() {
  if (dir_.empty())
    return;
  auto r = run({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "immediate", "-w", "-t",
                std::to_string(ctl_wait_s), "stop"},
               dir_, ctl_timeout);
  if (!r.ok) {
    // A server pg_ctl could not stop must not outlive the test: kill the postmaster by its pid
    // file (first line), which also ends its children.
    std::ifstream pidf(dir_ + "/data/postmaster.pid");
    long pid = 0;
    if (pidf >> pid && pid > 1)
      ::kill(static_cast<pid_t>(pid), SIGKILL);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string pg_server::dsn() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=postgres user=postgres";
}

void pg_server::start() {
  std::string last;
  for (int attempt = 0; attempt < start_attempts; ++attempt) {
    if (port_ == 0)
      port_ = pick_free_port();
    if (port_ == 0)
      throw std::runtime_error("pg_server: no free loopback port");
    // fsync stays on: crash tests (stop -m immediate) rely on committed data surviving. After
    // such a stop, recovery first syncs the data directory: file by file (the default) took
    // 3.6 s here, one syncfs() 0.3 s; both leave the same data on disk.
    std::string o = "-p " + std::to_string(port_) + " -k " + dir_ +
                    " -c listen_addresses=127.0.0.1 -c wal_level=" + opts_.wal_level +
                    " -c max_replication_slots=" + std::to_string(opts_.max_replication_slots) +
                    " -c max_wal_senders=" + std::to_string(opts_.max_wal_senders) +
                    " -c synchronous_commit=on -c recovery_init_sync_method=syncfs";
    std::string log = dir_ + "/log";
    auto r = run({bin("pg_ctl"), "-D", dir_ + "/data", "-o", o, "-l", log, "-w", "-t",
                  std::to_string(ctl_wait_s), "start"},
                 dir_, ctl_timeout);
    if (r.ok)
      return;
    last = r.output + "\n--- server log ---\n" + tail_of_file(log);
    if (last.find("already in use") == std::string::npos &&
        last.find("could not bind") == std::string::npos &&
        last.find("could not create any TCP/IP sockets") == std::string::npos)
      break;
    // Someone took the port between pick_free_port and the bind: try another one. A failed
    // start leaves no server behind (it exits when it cannot listen).
    port_ = 0;
  }
  throw std::runtime_error("pg_server: pg_ctl start failed: " + last);
}

void pg_server::stop(bool immediate) {
  auto r = run({bin("pg_ctl"), "-D", dir_ + "/data", "-m", immediate ? "immediate" : "fast",
                "-w", "-t", std::to_string(ctl_wait_s), "stop"},
               dir_, ctl_timeout);
  if (!r.ok)
    throw std::runtime_error("pg_server: pg_ctl stop failed: " + r.output + "\n--- server log ---\n" +
                             tail_of_file(dir_ + "/log"));
}

void pg_server::restart(bool immediate, std::optional<std::string> wal_level) {
  // stop + start rather than `pg_ctl restart`: start() passes the current options (pg_ctl
  // restart would reuse the old command line, wal_level included) and keeps the port.
  stop(immediate);
  if (wal_level)
    opts_.wal_level = *wal_level;
  start();
}

void pg_server::exec(const std::string& sql) const { run_sql(dsn(), sql); }

std::vector<std::string> pg_server::column(const std::string& sql) const {
  auto r = run_sql(dsn(), sql);
  std::vector<std::string> out;
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQnfields(r.get()) < 1)
    return out;
  for (int i = 0, n = PQntuples(r.get()); i < n; ++i)
    out.emplace_back(PQgetisnull(r.get(), i, 0) ? "" : PQgetvalue(r.get(), i, 0));
  return out;
}

} // namespace sy::test
