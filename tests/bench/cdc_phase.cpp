#include "cdc_phase.hpp"

#include <algorithm>

namespace sy::bench {

void cdc_phase::deliver(uint64_t n, uint64_t now, int64_t ts_ms) {
  if (n < base || n - base >= count) return;  // another phase's row (or a warm-up row)
  std::size_t i = n - base;
  if (!seen.mark(i)) {
    ++duplicates;
    return;
  }
  ++delivered;
  if (first_ns == 0) first_ns = now;
  last_ns = now;
  if (ts_ms > 0) {
    last_commit_ms = ts_ms;
    // The timestamp has millisecond resolution (truncated): this overstates by < 1 ms.
    uint64_t ts_ns = static_cast<uint64_t>(ts_ms) * 1000000ull;
    commit_lat.add(now > ts_ns ? now - ts_ns : 0);
  }
  if (sent_ns[i] != 0) send_lat.add(now > sent_ns[i] ? now - sent_ns[i] : 0);
}

namespace {

std::string lat_json(latency_recorder& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"samples\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,\"mean\":%.3f}",
                r.count(), r.percentile_us(0.5) / 1000, r.percentile_us(0.9) / 1000,
                r.percentile_us(0.99) / 1000, r.max_us() / 1000, r.mean_us() / 1000);
  return buf;
}

double ms_between(uint64_t a, uint64_t b) {
  return a && b ? (static_cast<double>(b) - static_cast<double>(a)) / 1e6 : -1;
}

} // namespace

std::string cdc_phase::json() {
  double span_s = last_ns > first_ns ? static_cast<double>(last_ns - first_ns) / 1e9 : 0;
  double issue_s = issued_ns > start_ns ? static_cast<double>(issued_ns - start_ns) / 1e9 : 0;
  double cpu = cpu0.ok && cpu1.ok ? cpu1.cpu_s - cpu0.cpu_s : -1;
  double wal = wal0.ok && wal1.ok ? wal1.cpu_s - wal0.cpu_s : -1;
  double commit_to_last_ms =
    last_commit_ms > 0 ? static_cast<double>(last_ns) / 1e6 - static_cast<double>(last_commit_ms) : -1;
  char buf[1024];
  std::snprintf(
    buf, sizeof buf,
    "{\"changes\":%zu,\"delivered\":%zu,\"lost\":%zu,\"duplicates\":%zu,\"failed\":%zu,"
    "\"statements\":%zu,\"issue_s\":%.3f,\"issued_per_s\":%.1f,\"first_to_last_s\":%.3f,"
    "\"delivered_per_s\":%.1f,\"start_to_first_ms\":%.3f,\"start_to_last_ms\":%.3f,"
    "\"answered_to_last_ms\":%.3f,\"commit_to_last_ms\":%.3f,\"server_cpu_s\":%.3f,"
    "\"server_cpu_us_per_change\":%.3f,\"walsender_cpu_s\":%.3f,",
    count, delivered, count - std::min(count, delivered), duplicates, failed, statements, issue_s,
    issue_s > 0 ? static_cast<double>(issued) / issue_s : 0, span_s,
    span_s > 0 ? static_cast<double>(delivered - 1) / span_s : 0, ms_between(start_ns, first_ns),
    ms_between(start_ns, last_ns), ms_between(issued_ns, last_ns), commit_to_last_ms, cpu,
    cpu >= 0 && delivered ? cpu * 1e6 / static_cast<double>(delivered) : -1, wal);
  return std::string(buf) + "\"timestamp_to_delivery_ms\":" + lat_json(commit_lat) +
         ",\"send_to_delivery_ms\":" + lat_json(send_lat) + "}";
}

} // namespace sy::bench
