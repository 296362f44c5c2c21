#pragma once
// The Prometheus text exposition format, version 0.0.4: a `# HELP` and a `# TYPE` line per
// family, then its samples; label values and help text escaped; histograms as cumulative
// `_bucket{le=...}` lines ending with `+Inf`, then `_sum` and `_count`. Pure: no counters,
// no I/O (tests/unit/metrics_exposition_test.cpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sy::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

/// `\` -> `\\`, `"` -> `\"`, newline -> `\n` (label values).
std::string escape_label_value(std::string_view v);
/// `\` -> `\\`, newline -> `\n` (HELP text).
std::string escape_help(std::string_view v);
/// A sample value: integers without exponent or decimals, otherwise shortest round-trip
/// text; `+Inf`, `-Inf`, `NaN`.
std::string format_value(double v);

class exposition {
public:
  /// Starts a family: `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const labels& ls, double value);
  /// `counts` per bucket, not cumulative: bounds.size() + 1 entries, the last one for +Inf.
  void histogram(std::string_view name, const labels& ls, const std::vector<double>& bounds,
                 const std::vector<std::uint64_t>& counts, double sum);

  const std::string& text() const noexcept {
    return out_;
  }

private:
  void write_labels(const labels& ls, const std::pair<std::string, std::string>* extra);
  std::string out_;
};

} // namespace sy::metrics
