#include "sock.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sy::bench {

int connect_nonblocking(const sockaddr_in* src, const sockaddr_in& dst) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -1;
  int one = 1;
  // Small frames (subscribe, publish requests) must leave at once, not wait for Nagle.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (src) {
    // Defer the port choice to connect(): with a plain bind(port 0) the kernel must pick a port
    // unique for the source address alone, which caps us at ~28k sockets per address.
    ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<const sockaddr*>(src), sizeof *src) != 0) {
      int e = errno;
      ::close(fd);
      errno = e;
      return -1;
    }
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 &&
      errno != EINPROGRESS) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool make_addr(const char* ip, int port, sockaddr_in& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return ::inet_pton(AF_INET, ip, &addr.sin_addr) == 1;
}

std::vector<sockaddr_in> loopback_sources(int n) {
  std::vector<sockaddr_in> out;
  for (int k = 1; k <= n; ++k) {
    sockaddr_in a{};
    char ip[32];
    std::snprintf(ip, sizeof ip, "127.0.0.%d", k);
    make_addr(ip, 0, a);
    out.push_back(a);
  }
  return out;
}

bool epoll_set(int epfd, int fd, uint64_t tag, bool want_write, bool add) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (want_write ? EPOLLOUT : 0u);
  ev.data.u64 = tag;
  return ::epoll_ctl(epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
}

} // namespace sy::bench
