#pragma once
// The I/O loop as the application sees it (io_loop implements it): no Asio, no Beast.
#include <functional>

namespace sy {

/// The I/O loop a request was parsed on: lets the application send everything parsed in one
/// pass of the loop as one message (one actor wake-up instead of one per request).
class pass_scheduler {
public:
  virtual ~pass_scheduler() = default;
  /// Runs `fn` on the same thread once the handlers already queued there have run.
  virtual void defer(std::function<void()> fn) = 0;
};

} // namespace sy
