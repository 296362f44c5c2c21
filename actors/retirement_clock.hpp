#pragma once
// The actor's side of the directory's retirement handshake (actors/README.md, "Channel
// retirement"), shared by channels and wildcard patterns: count the messages the directory
// forwarded, and report idleness once when nobody is subscribed and nothing happened for
// idle_ms. The directory retires the actor only if its own count matches.
#include <cstdint>

#include "schema/event.hpp"

namespace sy {

class retirement_clock {
public:
  /// A message forwarded by the directory was handled (it counts and is activity).
  void on_directory_message() {
    ++handled_;
    reported_ = false;
    touch();
  }

  /// Any other activity (e.g. an unsubscribe).
  void touch() {
    last_activity_ms_ = steady_clock_ms();
  }

  /// True exactly once per idle period: then send (idle, name, handled()) to the directory.
  bool report_due(bool has_subscribers, std::int64_t idle_ms) {
    if (has_subscribers || reported_ || steady_clock_ms() - last_activity_ms_ < idle_ms)
      return false;
    reported_ = true;
    return true;
  }

  std::uint64_t handled() const noexcept {
    return handled_;
  }

private:
  std::uint64_t handled_ = 0;
  std::int64_t last_activity_ms_ = steady_clock_ms();
  bool reported_ = false;
};

} // namespace sy
