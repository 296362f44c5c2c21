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

  // -- early retirement of an actor that holds nothing (no event, no subscriber) --
  // One self-message checks it after `grace_ms` of quiet, instead of the periodic tick after
  // idle_ms: subscribe/unsubscribe churn of new names must not keep actors (and quota slots)
  // alive for minutes.

  /// The delay for a new check message, or -1 when one is already on its way.
  std::int64_t arm_check(std::int64_t grace_ms) {
    if (check_armed_)
      return -1;
    check_armed_ = true;
    auto quiet = quiet_ms();
    return quiet >= grace_ms ? 0 : grace_ms - quiet;
  }

  /// The check message arrived (the next arm_check sends a new one).
  void check_arrived() {
    check_armed_ = false;
  }

  std::int64_t quiet_ms() const {
    return steady_clock_ms() - last_activity_ms_;
  }

private:
  std::uint64_t handled_ = 0;
  std::int64_t last_activity_ms_ = steady_clock_ms();
  bool reported_ = false;
  bool check_armed_ = false;
};

} // namespace sy
