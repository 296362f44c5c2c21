#pragma once
// The daemon's log from its configuration: level, log.format, log.max_per_second, and the
// timer that writes a burst's "N more suppressed" count when nothing of its kind follows.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "config/config.hpp"

namespace sy {

class log_setup {
public:
  /// Installs the log (call before any other thread starts) and starts the summary timer.
  explicit log_setup(const config& cfg);
  /// Stops the timer and writes the counts still pending.
  ~log_setup();

  log_setup(const log_setup&) = delete;
  log_setup& operator=(const log_setup&) = delete;

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread timer_;
};

} // namespace sy
