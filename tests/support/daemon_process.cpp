#include "support/daemon_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <set>
#include <stdexcept>

extern char** environ;

#ifndef SWITCHYARD_BIN
#define SWITCHYARD_BIN ""
#endif

namespace sy::test {

namespace {

constexpr const char* listening_prefix = "switchyard listening on ";

// Registry of live daemons so a failing assertion can print their logs.
std::mutex registry_mu;
std::set<const daemon_process*>& registry() {
  static std::set<const daemon_process*> live;
  return live;
}

// A fresh data directory for one daemon or CLI run (storage.engine = rocksdb is the default):
// no daemon under test ever opens another's store or the developer's ./switchyard-data.
std::string make_data_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "sy-daemon-XXXXXX").string();
  return ::mkdtemp(tmpl.data()) ? tmpl : std::string();
}

void remove_data_dir(const std::string& dir) {
  std::error_code ec;
  if (!dir.empty())
    std::filesystem::remove_all(dir, ec);
}

// The daemon's own data dir first, so the test's extra_env (and --set storage.dir) override it.
env_list with_data_dir(const std::string& dir, const env_list& extra) {
  env_list all;
  if (!dir.empty())
    all.emplace_back("SWITCHYARD_DATA_DIR", dir + "/store");
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

bool inherited_setting(const char* kv) {
  return std::strncmp(kv, "SWITCHYARD_", 11) == 0 || std::strncmp(kv, "REALTIME_", 9) == 0;
}

// Builds the child's environment before fork: only async-signal-safe calls are allowed after it.
std::vector<std::string> child_env(const env_list& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    if (!inherited_setting(*e))
      env.emplace_back(*e);
  env_list all = {{"SWITCHYARD_JWT_SECRET", "test-secret"}, {"SWITCHYARD_API_KEY", "test-key"}};
  all.insert(all.end(), extra.begin(), extra.end());
  for (auto& [k, v] : all) {
    auto prefix = k + "=";
    for (auto it = env.begin(); it != env.end();)
      it = it->compare(0, prefix.size(), prefix) == 0 ? env.erase(it) : it + 1;
    env.push_back(prefix + v);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

} // namespace

spawned spawn_child(std::vector<std::string> argv, const env_list& extra_env) {
  auto env = child_env(extra_env);
  auto argv_c = c_strings(argv);
  auto env_c = c_strings(env);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("pipe2 failed");
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    // A daemon must not outlive a crashed or timed-out test binary.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execve(argv_c[0], argv_c.data(), env_c.data());
    const char msg[] = "exec of switchyard binary failed\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  return {pid, out[0], err[0]};
}

namespace {

int decode_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

} // namespace

std::string switchyard_bin() {
  if (const char* e = std::getenv("SY_SWITCHYARD_BIN"); e && *e)
    return e;
  return SWITCHYARD_BIN;
}

run_result run_switchyard(const std::vector<std::string>& args, const env_list& extra_env,
                          std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{switchyard_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  struct dir_guard {
    std::string path = make_data_dir();
    ~dir_guard() { remove_data_dir(path); }
  } data_dir;
  auto child = spawn_child(argv, with_data_dir(data_dir.path, extra_env));
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{child.out_fd, POLLIN, 0}, {child.err_fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(child.pid, &status, WNOHANG) == child.pid) {
      r.exit_code = decode_status(status);
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child.pid, SIGKILL);
  waitpid(child.pid, &status, 0);
  r.exit_code = -1;
  return r;
}

daemon_process::daemon_process(std::vector<std::string> extra_args, env_list extra_env,
                               std::vector<std::string> wrapper) {
  auto bin = switchyard_bin();
  if (bin.empty() || access(bin.c_str(), X_OK) != 0)
    throw std::runtime_error("switchyard binary not found or not executable: '" + bin + "'");
  std::vector<std::string> argv = std::move(wrapper);
  for (auto a : {bin, std::string("serve"), std::string("--listen"), std::string("127.0.0.1:0")})
    argv.push_back(std::move(a));
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  data_dir_ = make_data_dir();
  auto child = spawn_child(argv, with_data_dir(data_dir_, extra_env));
  pid_ = child.pid;
  out_fd_ = child.out_fd;
  err_fd_ = child.err_fd;
  reader_ = std::thread([this] { drain(); });
  {
    std::lock_guard<std::mutex> lk(registry_mu);
    registry().insert(this);
  }
  // Wait (bounded) for "switchyard listening on host:port".
  std::unique_lock<std::mutex> lk(mu_);
  auto found = [this]() -> bool {
    auto at = out_.find(listening_prefix);
    return at != std::string::npos && out_.find('\n', at) != std::string::npos;
  };
  cv_.wait_for(lk, std::chrono::seconds(10), [&] { return found() || eof_; });
  if (found()) {
    auto at = out_.find(listening_prefix) + std::strlen(listening_prefix);
    auto line = out_.substr(at, out_.find('\n', at) - at);
    auto colon = line.rfind(':');
    if (colon != std::string::npos) {
      auto p = std::strtoul(line.c_str() + colon + 1, nullptr, 10);
      if (p > 0 && p < 65536)
        port_ = static_cast<std::uint16_t>(p);
    }
  }
  if (port_ == 0) {
    auto text = "daemon did not report 'switchyard listening on host:port' within 10 s.\nstdout:\n"
                + out_ + "\nstderr:\n" + err_;
    lk.unlock();
    stop_now(); // the destructor does not run after a throwing constructor
    throw std::runtime_error(text);
  }
}

daemon_process::~daemon_process() { stop_now(); }

void daemon_process::stop_now() {
  {
    std::lock_guard<std::mutex> lk(registry_mu);
    registry().erase(this);
  }
  if (!exit_code_) {
    kill(pid_, SIGKILL);
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_)
      reap(status);
  }
  if (reader_.joinable())
    reader_.join();
  remove_data_dir(data_dir_); // the daemon has exited: nothing holds its store open
  data_dir_.clear();
}

void daemon_process::drain() {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[8192];
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
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
  std::lock_guard<std::mutex> lk(mu_);
  eof_ = true;
  cv_.notify_all();
}

void daemon_process::reap(int status) { exit_code_ = decode_status(status); }

void daemon_process::terminate(int sig) {
  if (!exit_code_)
    kill(pid_, sig);
}

bool daemon_process::running() { return !wait_exit(std::chrono::milliseconds(0)); }

std::optional<int> daemon_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reap(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

std::string daemon_process::log() const {
  std::lock_guard<std::mutex> lk(mu_);
  return "--- stdout ---\n" + out_ + "--- stderr ---\n" + err_;
}

void daemon_process::dump_live_logs(std::ostream& os) {
  std::lock_guard<std::mutex> lk(registry_mu);
  constexpr std::size_t max_bytes = 16384; // the tail is where the failure is
  for (auto* d : registry()) {
    auto text = d->log();
    if (text.size() > max_bytes)
      text = "[... " + std::to_string(text.size() - max_bytes) + " bytes omitted ...]\n"
             + text.substr(text.size() - max_bytes);
    os << "===== switchyard pid " << d->pid_ << " port " << d->port_ << " =====\n" << text << "\n";
  }
}

} // namespace sy::test
