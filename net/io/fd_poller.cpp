#include "net/io/fd_poller.hpp"

#include <array>

#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

namespace sy {

namespace {

std::uint32_t mask(bool want_write) {
  return EPOLLIN | EPOLLRDHUP | EPOLLET | (want_write ? EPOLLOUT : 0u);
}

} // namespace

fd_poller::fd_poller(boost::asio::io_context& ctx) : outer_(ctx) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ >= 0) {
    boost::system::error_code ec;
    outer_.assign(epfd_, ec);
    if (ec) {
      ::close(epfd_);
      epfd_ = -1;
    }
  }
}

fd_poller::~fd_poller() {
  boost::system::error_code ec;
  outer_.close(ec); // closes epfd_
}

bool fd_poller::add(int fd, fd_watcher* w, bool want_write) {
  if (epfd_ < 0)
    return false;
  epoll_event ev{};
  ev.events = mask(want_write);
  ev.data.ptr = w;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    return false;
  arm();
  return true;
}

void fd_poller::set_write_interest(int fd, fd_watcher* w, bool want_write) {
  epoll_event ev{};
  ev.events = mask(want_write);
  ev.data.ptr = w;
  ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

void fd_poller::remove(int fd) {
  epoll_event ev{};
  ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
}

void fd_poller::arm() {
  if (armed_)
    return;
  armed_ = true;
  // The set's descriptor turns readable when a watched socket gets an event. Asio re-checks
  // readiness when it arms this wait, so events queued meanwhile are not missed.
  outer_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                    [this](boost::system::error_code ec) {
                      armed_ = false;
                      if (!ec)
                        on_ready();
                    });
}

void fd_poller::on_ready() {
  std::array<epoll_event, 256> events;
  int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 0);
  // A watcher stays alive while its socket is open and closes only its own socket while
  // handling its own event, so every pointer here is valid when its turn comes.
  for (int i = 0; i < n; ++i)
    static_cast<fd_watcher*>(events[static_cast<std::size_t>(i)].data.ptr)
      ->on_fd_event(events[static_cast<std::size_t>(i)].events);
  if (n == static_cast<int>(events.size())) // more are ready: after the handlers queued now
    boost::asio::post(outer_.get_executor(), [this] { on_ready(); });
  else
    arm();
}

} // namespace sy
