#pragma once
// An epoll set of plain HTTP sockets, nested in one I/O loop's io_context.
//
// Why: Asio re-arms a socket with epoll_ctl(EPOLL_CTL_MOD) for every readiness wait (or
// tries a recv that finds nothing first, for a read): one extra syscall per keep-alive
// request. Here each socket is added once, edge-triggered, and a connection that read until
// a short read simply waits for the next edge. Asio watches only this set's descriptor: one
// wait per pass of the loop, however many connections were ready.
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

namespace sy {

class fd_watcher {
public:
  virtual ~fd_watcher() = default;
  /// epoll's event bits for the watcher's socket (EPOLLIN, EPOLLOUT, EPOLLRDHUP, ...).
  virtual void on_fd_event(std::uint32_t events) = 0;
};

class fd_poller {
public:
  explicit fd_poller(boost::asio::io_context& ctx);
  ~fd_poller();
  fd_poller(const fd_poller&) = delete;
  fd_poller& operator=(const fd_poller&) = delete;

  /// Watches `fd` (edge-triggered) until it is closed; `w` must stay alive while the socket is
  /// open: closing the socket is what removes it. False when epoll refused it.
  bool add(int fd, fd_watcher* w, bool want_write = false);
  /// Changes whether write readiness is reported (while a reply waits for buffer space).
  void set_write_interest(int fd, fd_watcher* w, bool want_write);
  /// Stops watching `fd` (before handing the socket to Asio).
  void remove(int fd);

private:
  void arm();
  void on_ready();

  int epfd_ = -1;
  boost::asio::posix::stream_descriptor outer_;
  bool armed_ = false;
};

} // namespace sy
