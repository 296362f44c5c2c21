#pragma once
// A private tmpfs for the storage fault tests: a real, small file system only the daemon sees,
// which the test fills to make the disk full (test_durable_faults.cpp, test_rooms_durable.cpp).
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace sy::test {

// -- a private tmpfs -------------------------------------------------------------------------

// execve takes no PATH: the tools' usual places.
inline std::string find_tool(const std::string& name) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    auto p = std::string(dir) + "/" + name;
    if (::access(p.c_str(), X_OK) == 0)
      return p;
  }
  return {};
}

inline bool skip_mount_tests() {
  const char* e = std::getenv("SY_SKIP_MOUNT_TESTS");
  return e && std::string(e) == "1";
}

// A small tmpfs on `dir` in a mount namespace of the daemon's own: nobody else sees it, and it
// needs no cleanup on the host. The test reaches it as /proc/<daemon pid>/root/<dir>; holding
// the namespace open (ns_fds) keeps it, and its files, for a restart that joins it.
struct private_tmpfs {
  std::string dir;
  int size_mb;
  bool root = ::geteuid() == 0;
  std::vector<int> ns_fds; // mnt (and user, when not root) of the first daemon

  private_tmpfs(std::string d, int mb) : dir(std::move(d)), size_mb(mb) {
  }
  ~private_tmpfs() {
    for (int fd : ns_fds)
      ::close(fd);
  }

  std::string mount_cmd() const {
    return "mount -t tmpfs -o size=" + std::to_string(size_mb) + "m tmpfs '" + dir + "'";
  }
  std::vector<std::string> unshare_prefix() const {
    std::vector<std::string> w{find_tool("unshare"), "--mount"};
    if (!root)
      w.emplace_back("--map-root-user");
    return w;
  }
  // Empty when this environment cannot mount a private tmpfs; `why` then says why.
  bool possible(std::string& why) const {
    if (find_tool("unshare").empty() || find_tool("nsenter").empty()) {
      why = "unshare or nsenter (util-linux) is not installed";
      return false;
    }
    std::string cmd;
    for (auto& a : unshare_prefix())
      cmd += a + " ";
    cmd += "sh -c \"" + mount_cmd() + "\" >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      why = "'" + cmd + "' failed (no mount namespaces here: run as root or allow "
            "unprivileged user namespaces)";
      return false;
    }
    return true;
  }
  // The daemon mounts the tmpfs first, then execs itself (same pid).
  std::vector<std::string> first_wrapper() const {
    auto w = unshare_prefix();
    w.insert(w.end(), {find_tool("sh"), "-c", mount_cmd() + " && exec \"$0\" \"$@\""});
    return w;
  }
  // Keeps the namespace of `pid` for a later daemon to join.
  void hold(pid_t pid) {
    for (const char* ns : root ? std::vector<const char*>{"mnt"}
                               : std::vector<const char*>{"user", "mnt"}) {
      int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(),
                      O_RDONLY | O_CLOEXEC);
      REQUIRE(fd >= 0);
      ns_fds.push_back(fd);
    }
  }
  // A daemon in the held namespace: it sees the same tmpfs and its files.
  std::vector<std::string> join_wrapper() const {
    std::vector<std::string> w{find_tool("nsenter")};
    auto self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    if (!root) {
      w.push_back("--user=" + self + std::to_string(ns_fds[0]));
      w.push_back("--preserve-credentials");
    }
    w.push_back("--mount=" + self + std::to_string(ns_fds.back()));
    return w;
  }
  // `dir` as the daemon `pid` sees it.
  std::string seen_by(pid_t pid) const {
    return "/proc/" + std::to_string(pid) + "/root" + dir;
  }
};

// Whether the disk-full test can run here: fails the test when no private tmpfs can be mounted,
// unless SY_SKIP_MOUNT_TESTS=1 says to skip it knowingly (false: return, skipped).
inline bool tmpfs_or_skip(const private_tmpfs& tmpfs) {
  std::string why;
  if (tmpfs.possible(why))
    return true;
  if (skip_mount_tests()) {
    WARN("disk-full test skipped (SY_SKIP_MOUNT_TESTS=1): " << why);
    return false;
  }
  FAIL("cannot mount a private tmpfs for the disk-full test: "
       << why << ". Set SY_SKIP_MOUNT_TESTS=1 to skip it knowingly.");
  return false;
}

// Writes `path` until the file system is full (bounded): the bytes written.
inline std::uint64_t fill(const std::string& path, std::uint64_t at_most) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  std::vector<char> chunk(256 * 1024, 'b');
  std::uint64_t total = 0;
  int err = 0;
  while (total < at_most) {
    auto n = ::write(fd, chunk.data(), chunk.size());
    if (n < 0) {
      err = errno;
      if (err == EINTR)
        continue;
      break;
    }
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  INFO("ballast stopped at " << total << " bytes: " << std::strerror(err));
  REQUIRE(err == ENOSPC);
  return total;
}

} // namespace sy::test
