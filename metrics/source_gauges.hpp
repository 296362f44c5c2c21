#pragma once
// The numbers GET /metrics shows per change-data source (CHANGE-CAPTURE.md *Monitoring*). The
// sources are fixed at startup, so the table is built once before any thread runs and never
// resized; each source actor is the only writer of its row, a scrape only reads (relaxed
// atomics, no lock), as for the counter blocks of metrics/counters.hpp.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sy::metrics {

enum class source_state : std::uint8_t { connecting, streaming, retrying, elsewhere, stopped };
const char* source_state_name(source_state s) noexcept;

struct source_gauges {
  std::string id;
  std::atomic<std::uint8_t> state{static_cast<std::uint8_t>(source_state::elsewhere)};
  std::atomic<std::uint64_t> received_lsn{0};
  std::atomic<std::uint64_t> confirmed_lsn{0};
  std::atomic<std::uint64_t> lag_bytes{0};
  std::atomic<std::int64_t> lag_ms{0};
  std::atomic<std::uint64_t> changes{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint8_t> lag_alert{0};
  // The last failure (a net/pg failure value; 0: none since the stream last started).
  std::atomic<std::uint8_t> last_failure{0};
};

/// Creates the table (one row per id, in order). Call once, before the sources start and
/// before the server answers a scrape.
void init_source_gauges(const std::vector<std::string>& ids);
/// The row of source number `i` (its index in the `sources` setting).
source_gauges& source_row(std::size_t i);
std::size_t source_count() noexcept;

/// Appends the sources' metric families in the Prometheus text format (nothing without sources).
void append_source_metrics(std::string& out);

} // namespace sy::metrics
