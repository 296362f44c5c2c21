#pragma once
// A long-running `switchyard` client command (e.g. `tail`) as a child process whose output the
// test reads while it runs. Short commands use run_switchyard (daemon_process.hpp).
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"

namespace sy::test {

class cli_process {
public:
  /// Starts `switchyard <args>` with the test environment plus `extra_env`.
  explicit cli_process(const std::vector<std::string>& args, const env_list& extra_env = {});
  ~cli_process(); // SIGKILL if still running

  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;

  /// Complete stdout lines so far.
  std::vector<std::string> out_lines() const;
  std::string err() const;
  /// Waits until stdout holds at least `n` complete lines (true), or `timeout` passes.
  bool wait_out_lines(std::size_t n, std::chrono::milliseconds timeout) const;
  /// Waits until stderr contains `text` (true), or `timeout` passes.
  bool wait_err(const std::string& text, std::chrono::milliseconds timeout) const;

  void signal(int sig);
  /// The exit code (128+signal when killed), nullopt while still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

private:
  bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) const;
  void drain(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string out_;
  std::string err_;
  std::thread reader_;
};

} // namespace sy::test
