#include "net/bridge/log_setup.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "actors/log_line.hpp"

namespace sy {

log_setup::log_setup(const config& cfg) {
  install_logging(cfg.log_format == "json", cfg.log_max_per_second,
                  spdlog::level::from_str(cfg.log_level));
  if (cfg.log_max_per_second == 0)
    return; // nothing is ever suppressed
  // A quarter-second pass: a suppressed count is written at most 1.25 s after its burst began.
  timer_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
      lock.unlock();
      flush_log_summaries();
      lock.lock();
    }
  });
}

log_setup::~log_setup() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable())
    timer_.join();
}

} // namespace sy
