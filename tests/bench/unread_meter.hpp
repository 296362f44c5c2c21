#pragma once
// Bytes the kernel holds for a set of this process's sockets, not read yet (SIOCINQ summed).
// The load client shares the cores with the server: a large sum means the client was behind,
// and a latency it measured is partly its own.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <linux/sockios.h>
#include <sys/ioctl.h>

namespace sy::bench {

class unread_meter {
public:
  // Sums fd_of(0..n-1) (fds < 0 skipped) when `period_ns` passed since the last sum. The first
  // sum taken with `mark` set is kept apart (e.g. right after the last join was sent).
  template <class FdOf>
  void sample(uint64_t now, std::size_t n, FdOf fd_of, bool mark) {
    if (now < next_ns_) return;
    next_ns_ = now + period_ns;
    uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) {
      int fd = fd_of(i), queued = 0;
      if (fd >= 0 && ::ioctl(fd, SIOCINQ, &queued) == 0 && queued > 0)
        sum += static_cast<uint64_t>(queued);
    }
    max_ = std::max(max_, sum);
    if (mark && !marked_) {
      at_mark_ = sum;
      marked_ = true;
    }
  }
  uint64_t max_bytes() const { return max_; }
  uint64_t at_mark_bytes() const { return at_mark_; }

  // 2,000 ioctls take ~1 ms: every 100 ms costs the client 1 %.
  static constexpr uint64_t period_ns = 100'000'000;

private:
  uint64_t next_ns_ = 0, max_ = 0, at_mark_ = 0;
  bool marked_ = false;
};

} // namespace sy::bench
