#pragma once
// A raw TCP client for HTTP wire tests: the bytes exactly as written (malformed requests,
// pipelining, half-closes), every wait bounded. Header-only, loopback only.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace sy::test {

class raw_conn {
public:
  /// Connects to 127.0.0.1:`port` from `source` (any 127.x.y.z address: each is an address of
  /// its own to the server's per-address limit). `rcvbuf` > 0: SO_RCVBUF before connecting.
  explicit raw_conn(std::uint16_t port, const char* source = nullptr, int rcvbuf = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0)
      return;
    if (rcvbuf > 0)
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (source) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        drop();
        return;
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      drop();
  }
  ~raw_conn() {
    drop();
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;

  bool ok() const {
    return fd_ >= 0;
  }
  int fd() const {
    return fd_;
  }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
           == static_cast<ssize_t>(bytes.size());
  }
  void half_close() {
    ::shutdown(fd_, SHUT_WR);
  }
  /// Sends `bytes` and the FIN in one segment (MSG_MORE holds the bytes until shutdown tacks
  /// the FIN on): the server sees the request and the end of input in the same readiness.
  bool send_with_fin(const std::string& bytes) {
    bool ok = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_MORE)
              == static_cast<ssize_t>(bytes.size());
    half_close();
    return ok;
  }
  /// Reads until `in_` holds `count` occurrences of `marker` or the deadline passes.
  bool wait_for(const std::string& marker, std::size_t count, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::size_t found = 0;
    std::size_t from = 0; // scan only what arrived since (megabyte replies)
    for (;;) {
      for (auto pos = in_.find(marker, from); pos != std::string::npos;
           pos = in_.find(marker, pos + 1))
        ++found, from = pos + 1;
      if (in_.size() >= marker.size())
        from = std::max(from, in_.size() - marker.size() + 1);
      if (found >= count)
        return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !read_once(static_cast<int>(left.count())))
        return false;
    }
  }
  /// True when the server closed the connection within `limit` (EOF or reset).
  bool closed_within(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!eof_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      read_once(static_cast<int>(left.count()));
    }
    return true;
  }
  const std::string& received() const {
    return in_;
  }
  /// The status code of the first reply received ("" before one arrived).
  std::string status() const {
    if (in_.rfind("HTTP/1.1 ", 0) != 0 || in_.size() < 12)
      return {};
    return in_.substr(9, 3);
  }

private:
  void drop() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  bool read_once(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
      return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string in_;
};

} // namespace sy::test
