#pragma once
// A write-coalescing layer under Beast's websocket stream ("cork").
//
// Beast writes one message per async_write, i.e. one syscall per frame per subscriber: that is
// what costs Nchan 3-6 us per delivery here. Instead, every write to the socket goes through
// this layer's queue and leaves in one gather-write (writev) per pass:
//  - data frames are framed here (server frames are unmasked: a 2-10 byte header) and queued
//    by reference, so a payload shared by 10,000 sessions is never copied;
//  - Beast's own writes (101 response, pong, close) are copied into the same queue, so the
//    order on the wire is exactly the order of the calls.
// All members run on the connection's strand.
#include <array>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "schema/frame.hpp"

namespace sy {

namespace asio = boost::asio;

class cork_socket {
public:
  using socket_type = asio::ip::tcp::socket;
  using next_layer_type = socket_type;
  using executor_type = socket_type::executor_type;

  explicit cork_socket(socket_type&& s) : sock_(std::move(s)) {
  }

  executor_type get_executor() noexcept {
    return sock_.get_executor();
  }
  socket_type& next_layer() noexcept {
    return sock_;
  }
  const socket_type& next_layer() const noexcept {
    return sock_;
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& b, Token&& token) {
    return sock_.async_read_some(b, std::forward<Token>(token));
  }

  /// Beast's writes: copied into the queue; completes (posted) as soon as queued.
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
      [this](auto handler, const ConstBuffers& b) {
        std::string bytes(asio::buffer_size(b), '\0');
        asio::buffer_copy(asio::buffer(bytes), b);
        std::size_t n = bytes.size();
        // Beast never sends data after its close frame; neither may we.
        if (n >= 1 && static_cast<unsigned char>(bytes[0]) == 0x88)
          close_sent_ = true;
        if (failed_) {
          asio::post(get_executor(), [h = std::move(handler), ec = failed_]() mutable {
            h(ec, 0);
          });
          return;
        }
        push_owned(std::move(bytes));
        flush();
        asio::post(get_executor(), [h = std::move(handler), n]() mutable {
          h(boost::beast::error_code{}, n);
        });
      },
      token, buffers);
  }

  /// Queues one text message (a complete, unfragmented frame). False once the close frame
  /// has been queued or the socket failed.
  bool push_text(const frame_ptr& payload) {
    if (close_sent_ || failed_)
      return false;
    piece p;
    p.payload = payload;
    auto n = payload->size();
    p.hdr[0] = 0x81; // FIN | text
    if (n < 126) {
      p.hdr[1] = static_cast<std::uint8_t>(n);
      p.hdr_len = 2;
    } else if (n <= 0xffff) {
      p.hdr[1] = 126;
      p.hdr[2] = static_cast<std::uint8_t>(n >> 8);
      p.hdr[3] = static_cast<std::uint8_t>(n);
      p.hdr_len = 4;
    } else {
      p.hdr[1] = 127;
      for (int i = 0; i < 8; ++i)
        p.hdr[2 + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(n) >> (56 - 8 * i));
      p.hdr_len = 10;
    }
    pending_bytes_ += n + p.hdr_len;
    pending_.push_back(std::move(p));
    return true;
  }

  /// Starts a gather-write of everything queued, unless one is in flight (then it follows).
  void flush() {
    if (writing_ || pending_.empty() || failed_)
      return;
    writing_ = true;
    inflight_.swap(pending_);
    inflight_bytes_ = pending_bytes_;
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
    asio::async_write(sock_, iov_, [this, keep = owner_.lock()](boost::beast::error_code ec,
                                                                 std::size_t) {
      writing_ = false;
      inflight_.clear();
      inflight_bytes_ = 0;
      if (inflight_.capacity() > 256)
        std::vector<piece>().swap(inflight_); // an idle connection keeps no big array
      if (ec) {
        failed_ = ec;
        pending_.clear();
        pending_bytes_ = 0;
      } else {
        flush();
      }
      if (!writing_ && on_drained_) {
        auto f = std::move(on_drained_);
        f->run();
      }
    });
  }

  /// Bytes queued or being written.
  std::size_t queued_bytes() const noexcept {
    return pending_bytes_ + inflight_bytes_;
  }

  /// Runs `f` once nothing is queued or in flight (at once if already so). `f` may be
  /// move-only (Beast's composed-operation handlers are).
  template <class F>
  void when_drained(F&& f) {
    if (!writing_ && pending_.empty())
      return f();
    on_drained_ = std::make_unique<drained_fn<std::decay_t<F>>>(std::forward<F>(f));
  }

  /// Drops queued (not in-flight) data frames: used when closing a slow consumer.
  void drop_pending() {
    pending_.clear();
    pending_bytes_ = 0;
  }

  /// The object that owns this socket; each write holds it alive until it completes.
  void set_owner(std::weak_ptr<void> owner) {
    owner_ = std::move(owner);
  }

private:
  struct drained_base {
    virtual ~drained_base() = default;
    virtual void run() = 0;
  };
  template <class F>
  struct drained_fn final : drained_base {
    explicit drained_fn(F f) : f_(std::move(f)) {
    }
    void run() override {
      f_();
    }
    F f_;
  };

  struct piece {
    frame_ptr payload;              // data frame (header below) ...
    std::array<std::uint8_t, 10> hdr{};
    std::uint8_t hdr_len = 0;
    std::string owned;              // ... or bytes Beast asked us to write
  };

  void push_owned(std::string bytes) {
    piece p;
    pending_bytes_ += bytes.size();
    p.owned = std::move(bytes);
    pending_.push_back(std::move(p));
  }

  socket_type sock_;
  std::vector<piece> pending_;
  std::vector<piece> inflight_;
  std::vector<asio::const_buffer> iov_;
  std::size_t pending_bytes_ = 0;
  std::size_t inflight_bytes_ = 0;
  bool writing_ = false;
  bool close_sent_ = false;
  boost::beast::error_code failed_;
  std::unique_ptr<drained_base> on_drained_;
  std::weak_ptr<void> owner_;
};

// Beast tears the connection down after the close handshake; flush our queue first so the
// close frame actually leaves.
inline void teardown(boost::beast::role_type role, cork_socket& s, boost::beast::error_code& ec) {
  boost::beast::websocket::teardown(role, s.next_layer(), ec);
}

template <class Handler>
void async_teardown(boost::beast::role_type role, cork_socket& s, Handler&& handler) {
  s.when_drained([role, &s, h = std::forward<Handler>(handler)]() mutable {
    boost::beast::websocket::async_teardown(role, s.next_layer(), std::move(h));
  });
}

} // namespace sy
