#pragma once
// The connection's only writer ("cork"): every outgoing byte is queued here and leaves in one
// gather-write (writev) per pass, instead of one syscall per frame per subscriber (what costs
// Nchan 3-6 us per delivery here).
//  - Event frames are queued by reference with a 2-10 byte header: a payload shared by 10,000
//    sessions is never copied.
//  - Other bytes (the 101 response, pongs, close frames) are copied into the same queue, so the
//    order on the wire is the order of the calls.
// All members run on the connection's I/O loop thread. `Stream` is a tcp::socket or a
// tls_stream; over TLS, Beast's ssl_stream flattens the gather list into one record of up to
// 16 KB per write.
#include <array>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <cerrno>
#include <type_traits>

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "metrics/counters.hpp"
#include "net/ws/ws_frame.hpp"
#include "schema/frame.hpp"

namespace sy {

namespace asio = boost::asio;

template <class Stream>
class cork_socket {
public:
  using socket_type = Stream;

  explicit cork_socket(socket_type&& s) : sock_(std::move(s)) {
  }

  socket_type& socket() noexcept {
    return sock_;
  }

  /// The object owning this; each write holds it alive until it completes.
  void set_owner(std::weak_ptr<void> owner) {
    owner_ = std::move(owner);
  }

  /// Queues one unfragmented text message. False after the close frame was queued.
  bool push_text(const frame_ptr& payload) {
    if (close_queued_ || failed_)
      return false;
    piece p;
    p.payload = payload;
    p.hdr_len = static_cast<std::uint8_t>(ws::server_header(ws::op_text, payload->size(), p.hdr));
    pending_bytes_ += payload->size() + p.hdr_len;
    pending_.push_back(std::move(p));
    return true;
  }

  /// Queues shared bytes as they are, by reference (no header: an SSE event's REST object).
  bool push_shared(const frame_ptr& payload) {
    if (close_queued_ || failed_)
      return false;
    piece p;
    p.payload = payload;
    pending_bytes_ += payload->size();
    pending_.push_back(std::move(p));
    return true;
  }

  /// Queues raw bytes (handshake response, control frames). A close frame ends the stream.
  void push_bytes(std::string bytes, bool is_close = false) {
    if (close_queued_ || failed_)
      return;
    close_queued_ = is_close;
    piece p;
    pending_bytes_ += bytes.size();
    p.owned = std::move(bytes);
    pending_.push_back(std::move(p));
  }

  /// Starts a gather-write of everything queued, unless one is in flight (then it follows).
  void flush() {
    if (writing_ || pending_.empty() || failed_)
      return;
    writing_ = true;
    inflight_.swap(pending_);
    metrics::add(metrics::sent_bytes, pending_bytes_); // per thread: no shared write per flush
    pending_bytes_ = 0;
    iov_.clear();
    iov_.reserve(inflight_.size() * 2);
    for (const auto& p : inflight_) {
      if (p.payload) {
        iov_.emplace_back(p.hdr.data(), p.hdr_len);
        iov_.emplace_back(p.payload->data(), p.payload->size());
      } else {
        iov_.emplace_back(p.owned.data(), p.owned.size());
      }
    }
    if constexpr (std::is_same_v<Stream, asio::ip::tcp::socket>) {
      // Plain TCP: the kernel almost always takes the whole burst at once, so write it here.
      // Asio's async_write would allocate an operation, go through the reactor and run the
      // completion as a separate handler -- ~10% of the I/O thread when fanning out. Only
      // what the socket refuses (a slow reader) is left to async_write.
      boost::system::error_code ec;
      if (write_now(ec))
        return on_written(ec);
    }
    asio::async_write(sock_, iov_, [this, keep = owner_.lock()](boost::system::error_code ec,
                                                                 std::size_t) {
      on_written(ec);
    });
  }

  /// Bytes waiting behind the write in flight. Asio writes at once what the kernel accepts, so
  /// a write stays in flight only while the client's socket buffer is full: bytes piling up
  /// behind it are what a slow consumer looks like. (A burst being handed to the kernel is not.)
  std::size_t waiting_bytes() const noexcept {
    return writing_ ? pending_bytes_ : 0;
  }

  /// Nothing queued, nothing in flight, no write failed.
  bool idle() const noexcept {
    return !writing_ && pending_.empty() && !failed_;
  }

  /// Drops queued (not in-flight) frames: used when closing a slow consumer.
  void drop_pending() {
    pending_.clear();
    pending_bytes_ = 0;
  }

  /// Calls `f` once everything queued has been written (at once when nothing is).
  template <class F>
  void when_drained(F f) {
    if (!writing_ && pending_.empty())
      return f();
    drained_ = std::move(f);
  }

private:
  // The in-flight write finished (or failed): what follows it, if anything, goes next.
  void on_written(boost::system::error_code ec) {
    writing_ = false;
    inflight_.clear();
    if (inflight_.capacity() > 64) { // an idle connection keeps no big arrays
      std::vector<piece>().swap(inflight_);
      std::vector<asio::const_buffer>().swap(iov_);
    }
    if (ec) {
      failed_ = true;
      pending_.clear();
      pending_bytes_ = 0;
    } else {
      flush();
    }
    if (!writing_ && drained_) {
      auto f = std::move(drained_);
      f();
    }
  }

  // Non-blocking sendmsg of iov_, up to max_iov buffers per call (Asio stops at 64). True when
  // finished: everything written, or `ec` set; false leaves the unwritten rest in iov_.
  bool write_now(boost::system::error_code& ec) {
    constexpr std::size_t max_iov = 512;
    std::size_t i = 0;   // first buffer not completely written
    std::size_t off = 0; // bytes of iov_[i] already written
    for (;;) {
      while (i < iov_.size() && iov_[i].size() == off) { // skip empty and finished buffers
        ++i;
        off = 0;
      }
      if (i == iov_.size())
        return true;
      std::array<iovec, max_iov> vec;
      std::size_t count = 0;
      for (std::size_t j = i; j < iov_.size() && count < max_iov; ++j, ++count) {
        std::size_t skip = j == i ? off : 0;
        vec[count].iov_base =
          const_cast<char*>(static_cast<const char*>(iov_[j].data())) + skip;
        vec[count].iov_len = iov_[j].size() - skip;
      }
      msghdr msg{};
      msg.msg_iov = vec.data();
      msg.msg_iovlen = count;
      ssize_t n = ::sendmsg(sock_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          break;
        ec.assign(errno, boost::system::system_category());
        return true;
      }
      for (auto left = static_cast<std::size_t>(n); left > 0;) {
        std::size_t avail = iov_[i].size() - off;
        if (left < avail) {
          off += left;
          break;
        }
        left -= avail;
        ++i;
        off = 0;
      }
    }
    iov_.erase(iov_.begin(), iov_.begin() + static_cast<std::ptrdiff_t>(i));
    iov_.front() += off;
    return false;
  }

  struct piece {
    frame_ptr payload; // an event frame (header below) ...
    std::array<std::uint8_t, 10> hdr{};
    std::uint8_t hdr_len = 0;
    std::string owned; // ... or bytes of our own
  };

  socket_type sock_;
  std::vector<piece> pending_;
  std::vector<piece> inflight_;
  std::vector<asio::const_buffer> iov_;
  std::size_t pending_bytes_ = 0;
  bool writing_ = false;
  bool close_queued_ = false;
  bool failed_ = false;
  std::function<void()> drained_;
  std::weak_ptr<void> owner_;
};

} // namespace sy
