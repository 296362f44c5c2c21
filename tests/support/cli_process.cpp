#include "support/cli_process.hpp"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sy::test {

cli_process::cli_process(const std::vector<std::string>& args, const env_list& extra_env) {
  std::vector<std::string> argv{switchyard_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = spawn_child(argv, extra_env);
  pid_ = child.pid;
  reader_ = std::thread([this, child] { drain(child.out_fd, child.err_fd); });
}

cli_process::~cli_process() {
  if (!wait_exit(std::chrono::milliseconds(0))) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (reader_.joinable())
    reader_.join();
}

void cli_process::drain(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[8192];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        std::lock_guard<std::mutex> lk(mu_);
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
}

std::vector<std::string> cli_process::out_lines() const {
  std::lock_guard<std::mutex> lk(mu_);
  std::vector<std::string> lines;
  std::size_t at = 0;
  for (auto nl = out_.find('\n'); nl != std::string::npos; nl = out_.find('\n', at)) {
    lines.push_back(out_.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

std::string cli_process::err() const {
  std::lock_guard<std::mutex> lk(mu_);
  return err_;
}

bool cli_process::wait_for(const std::function<bool()>& done,
                           std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lk(mu_);
  return cv_.wait_for(lk, timeout, done);
}

bool cli_process::wait_out_lines(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_for(
    [&] {
      std::size_t lines = 0;
      for (char ch : out_)
        lines += ch == '\n';
      return lines >= n;
    },
    timeout);
}

bool cli_process::wait_err(const std::string& text, std::chrono::milliseconds timeout) const {
  return wait_for([&] { return err_.find(text) != std::string::npos; }, timeout);
}

void cli_process::signal(int sig) {
  if (!exit_code_)
    ::kill(pid_, sig);
}

std::optional<int> cli_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status)
                                     : (WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

} // namespace sy::test
