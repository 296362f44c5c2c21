#pragma once
// Runs the real switchyard binary as a child process for black-box tests.
// The daemon always listens on 127.0.0.1:0; the port is taken from its startup line
// "switchyard listening on host:port" so parallel test processes never collide.
#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sy::test {

using env_list = std::vector<std::pair<std::string, std::string>>;

/// Path of the daemon under test: $SY_SWITCHYARD_BIN when set, else the build's SWITCHYARD_BIN.
std::string switchyard_bin();

/// A child started by spawn_child: its pid and the read ends of its stdout and stderr pipes.
struct spawned {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

/// Starts argv[0] with `argv` and the test environment (inherited SWITCHYARD_*/REALTIME_*
/// dropped, the test secret and API key, then `extra_env`); stdin is /dev/null. The child is
/// killed when the test process dies. Throws std::runtime_error when fork/pipe fail.
spawned spawn_child(std::vector<std::string> argv, const env_list& extra_env);

/// Result of a short-lived CLI run (e.g. `switchyard token`).
struct run_result {
  int exit_code = -1; // 128+signal when killed, -1 when it did not finish in time
  std::string out;
  std::string err;
};

/// Runs `switchyard <args>` to completion (bounded by `timeout`) and captures its output.
/// The environment is the test defaults (see daemon_process, a fresh data dir included) plus
/// `extra_env`.
run_result run_switchyard(const std::vector<std::string>& args, const env_list& extra_env = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

class daemon_process {
public:
  /// Starts `switchyard serve --listen 127.0.0.1:0 <extra_args>` with SWITCHYARD_JWT_SECRET=test-secret
  /// and SWITCHYARD_API_KEY=test-key (overridable through `extra_env`), and SWITCHYARD_DATA_DIR
  /// in a fresh temporary directory of its own, removed when the daemon is gone (a test that
  /// restarts on the same store passes its own storage.dir). Inherited SWITCHYARD_* and
  /// REALTIME_* variables are dropped so the developer's shell cannot change test behaviour.
  /// Throws std::runtime_error (with the daemon's output) when no listening line appears in 10 s.
  /// `wrapper`, when given, is an argv prefix the daemon is started through (e.g. `unshare -m
  /// sh -c '... exec "$0" "$@"'`); it must exec the daemon in the same process so pid() is the
  /// daemon's.
  explicit daemon_process(std::vector<std::string> extra_args = {}, env_list extra_env = {},
                          std::vector<std::string> wrapper = {});
  ~daemon_process();

  daemon_process(const daemon_process&) = delete;
  daemon_process& operator=(const daemon_process&) = delete;

  std::uint16_t port() const { return port_; }
  /// The temporary directory holding this daemon's default storage.dir ("<dir>/store").
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  /// Sends `sig` to the daemon (no-op once it has been reaped).
  void terminate(int sig = SIGTERM);
  /// Waits for the daemon to exit: its exit code, 128+signal when killed by a signal,
  /// nullopt when it is still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();

  /// Everything the daemon wrote so far (stdout, then stderr).
  std::string log() const;

  /// Writes the logs of every daemon alive in this process; used when an assertion fails.
  static void dump_live_logs(std::ostream& os);

private:
  void drain();   // reader thread: keeps both pipes empty so the daemon never blocks on output
  void reap(int status);
  void stop_now(); // SIGKILL if still running, reap, join the reader

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_code_;
  int out_fd_ = -1;
  int err_fd_ = -1;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;
  std::string err_;
  bool eof_ = false;
  std::thread reader_;
  std::string data_dir_;
};

} // namespace sy::test
