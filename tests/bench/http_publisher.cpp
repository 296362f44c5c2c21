#include "http_publisher.hpp"

#include "sock.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sy::bench {

namespace {

// Case-insensitive search of a header name at a line start within [p, p+n).
const char* find_header(const char* p, std::size_t n, const char* name) {
  std::size_t len = std::strlen(name);
  for (std::size_t i = 0; i + len <= n; ++i) {
    if ((i == 0 || p[i - 1] == '\n') && strncasecmp(p + i, name, len) == 0) return p + i + len;
  }
  return nullptr;
}

} // namespace

void http_conn::close_now() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  connecting_ = false;
  want_write_ = false;
  busy_ = false;
  out_.clear();
  in_.clear();
}

void http_conn::fail(http_handler& h, std::size_t id, const char* why) {
  bool was_busy = busy_;
  close_now();
  if (was_busy) h.on_http_failed(id, why);
}

bool http_conn::ensure_connected() {
  if (fd_ >= 0) return true;
  fd_ = connect_nonblocking(nullptr, dst_);
  if (fd_ < 0) return false;
  connecting_ = true;
  want_write_ = true;
  if (!epoll_set(epfd_, fd_, tag_, true, true)) {
    close_now();
    return false;
  }
  return true;
}

bool http_conn::send(const std::string& request) {
  if (busy_ || !ensure_connected()) return false;
  busy_ = true;
  out_ = request;
  if (connecting_) return true;  // written once connected
  if (!flush()) {
    close_now();
    return false;
  }
  return true;
}

bool http_conn::flush() {
  while (!out_.empty()) {
    ssize_t w = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (!want_write_) {
        want_write_ = true;
        epoll_set(epfd_, fd_, tag_, true, false);
      }
      return true;
    }
    out_.erase(0, static_cast<std::size_t>(w));
  }
  if (want_write_) {
    want_write_ = false;
    epoll_set(epfd_, fd_, tag_, false, false);
  }
  return true;
}

bool http_conn::parse_response(int& status, std::size_t& total, bool& close_after) {
  auto end = in_.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  if (in_.size() < 12 || in_.compare(0, 5, "HTTP/") != 0) {
    status = -1;
    total = in_.size();
    close_after = true;
    return true;
  }
  status = std::atoi(in_.c_str() + 9);
  std::size_t body = end + 4;
  const char* hp = in_.data();
  const char* v = find_header(hp, end, "connection:");
  close_after = v && std::strstr(std::string(v, std::strcspn(v, "\r")).c_str(), "close");
  if ((v = find_header(hp, end, "content-length:"))) {
    std::size_t cl = std::strtoull(v, nullptr, 10);
    if (in_.size() < body + cl) return false;
    total = body + cl;
    return true;
  }
  if ((v = find_header(hp, end, "transfer-encoding:")) &&
      std::string(v, std::strcspn(v, "\r")).find("chunked") != std::string::npos) {
    std::size_t pos = body;
    for (;;) {
      auto eol = in_.find("\r\n", pos);
      if (eol == std::string::npos) return false;
      std::size_t size = std::strtoull(in_.c_str() + pos, nullptr, 16);
      if (size == 0) {
        // Last chunk; no trailers expected, just the final CRLF.
        auto fin = in_.find("\r\n", eol + 2);
        if (fin == std::string::npos) return false;
        total = fin + 2;
        return true;
      }
      if (in_.size() < eol + 2 + size + 2) return false;
      pos = eol + 2 + size + 2;
    }
  }
  // No length: 1xx/204/304 have no body; anything else would be read-until-close, which a
  // keep-alive publisher cannot use, so it is treated as complete and the connection dropped.
  total = body;
  if (!(status == 204 || status == 304 || status / 100 == 1)) close_after = true;
  return true;
}

void http_conn::handle(uint32_t events, http_handler& h, std::size_t id, char* scratch,
                       std::size_t cap) {
  if (fd_ < 0) return;
  if (connecting_) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(h, id, std::strerror(err));
    connecting_ = false;
  }
  if ((events & EPOLLOUT) && !flush()) return fail(h, id, "write failed");
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) return;
  ssize_t r = ::recv(fd_, scratch, cap, 0);
  if (r == 0) return fail(h, id, "server closed the connection");
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    return fail(h, id, std::strerror(errno));
  }
  if (!busy_) return fail(h, id, "unexpected bytes from server");
  in_.append(scratch, static_cast<std::size_t>(r));
  int status = 0;
  std::size_t total = 0;
  bool close_after = false;
  if (!parse_response(status, total, close_after)) return;
  in_.erase(0, total);
  busy_ = false;
  if (close_after || status < 0) close_now();
  h.on_http_response(id, status);
}

} // namespace sy::bench
