#pragma once
// One connection's deadline on one lazy timer. Moving the deadline later -- what every request
// of a keep-alive connection does, twice -- costs nothing: the timer stays armed for the old
// time, and when it fires early it re-arms itself for the current deadline. So a timer wait is
// set once per timeout period rather than once per request (Asio's timer set and cancel per
// request was part of the ~13 us per request of the Beast-stream path, see plain_http.cpp).
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace sy {

class lazy_deadline {
public:
  explicit lazy_deadline(boost::asio::io_context& ctx) : timer_(ctx) {
  }

  /// The deadline is now `after_ms` from now. When it passes, `owner.on_deadline()` runs on
  /// the timer's thread; the pending wait holds `owner` alive (`Owner` derives from
  /// enable_shared_from_this and owns this object).
  template <class Owner>
  void set(std::int64_t after_ms, Owner& owner) {
    deadline_ms_ = now_ms() + after_ms;
    if (armed_ && armed_ms_ <= deadline_ms_)
      return; // it fires early and re-arms itself then
    arm(owner.shared_from_this());
  }

  /// No deadline any more (the connection closed or moved on): a wait already completing is
  /// ignored.
  void cancel() {
    ++gen_;
    armed_ = false;
    timer_.cancel(); // the pending wait holds its owner
  }

private:
  static std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
  }

  template <class Owner>
  void arm(std::shared_ptr<Owner> owner) {
    armed_ = true;
    armed_ms_ = deadline_ms_;
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(armed_ms_)));
    timer_.async_wait([this, owner = std::move(owner), gen = ++gen_](boost::system::error_code ec) {
      if (ec || gen != gen_)
        return;
      armed_ = false;
      if (now_ms() < deadline_ms_)
        return arm(owner);
      owner->on_deadline();
    });
  }

  boost::asio::steady_timer timer_;
  std::int64_t deadline_ms_ = 0;
  std::int64_t armed_ms_ = 0;
  std::uint64_t gen_ = 0;
  bool armed_ = false;
};

} // namespace sy
