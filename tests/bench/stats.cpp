#include "stats.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <unistd.h>

namespace sy::bench {

double latency_recorder::percentile_us(double q) {
  if (samples_.empty()) return 0;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  auto idx = static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1) + 0.5);
  return static_cast<double>(samples_[std::min(idx, samples_.size() - 1)]) / 1000.0;
}

double latency_recorder::mean_us() const {
  if (samples_.empty()) return 0;
  long double sum = std::accumulate(samples_.begin(), samples_.end(), 0.0L);
  return static_cast<double>(sum / samples_.size() / 1000.0L);
}

double latency_recorder::max_us() { return percentile_us(1.0); }

namespace {

bool read_file(const char* path, std::string& out) {
  FILE* f = std::fopen(path, "r");
  if (!f) return false;
  char buf[4096];
  std::size_t n;
  out.clear();
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return true;
}

} // namespace

proc_sample sample_procs(const std::vector<int>& pids) {
  proc_sample s;
  if (pids.empty()) return s;
  static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::string text;
  char path[64];
  for (int pid : pids) {
    std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!read_file(path, text)) return s;
    // The command name may contain spaces: fields are counted after the last ')'.
    auto paren = text.rfind(')');
    if (paren == std::string::npos) return s;
    unsigned long utime = 0, stime = 0;
    // Fields after ')': 3 state ... 14 utime 15 stime.
    if (std::sscanf(text.c_str() + paren + 1,
                    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
      return s;
    s.cpu_s += static_cast<double>(utime + stime) / ticks;
    std::snprintf(path, sizeof path, "/proc/%d/status", pid);
    if (!read_file(path, text)) return s;
    auto pos = text.find("VmRSS:");
    if (pos != std::string::npos) s.rss_kb += std::strtol(text.c_str() + pos + 6, nullptr, 10);
  }
  s.ok = true;
  return s;
}

} // namespace sy::bench
