#pragma once
// The operator's log: one line per notable thing (connection open/close, auth refusal,
// slow consumer, quota refusal, cluster membership, store error) with its fields, as text or as
// one JSON object per line (log.format), and at most log.max_per_second lines of one kind per
// second: a burst of refused tokens costs a few lines and one "N more suppressed" count, not
// one line each (the log must stay readable, and a flood of bad clients must not fill a disk).
//
// Plain spdlog calls keep working; they go through the same sink and formatter.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <spdlog/common.h>
#include <spdlog/formatter.h>

namespace sy {

/// Counts lines per kind in one-second windows (from each kind's first line in the window):
/// the first `per_second` pass, the rest are counted. Not thread-safe (log_line.cpp locks).
class log_limiter {
public:
  struct summary {
    std::string kind;
    spdlog::level::level_enum level;
    std::uint64_t suppressed;
  };

  explicit log_limiter(std::uint32_t per_second) : per_second_(per_second) {}

  /// True: write the line. Appends to `ended` the count of a window of this kind that closed
  /// with lines suppressed.
  bool admit(std::string_view kind, spdlog::level::level_enum level, std::int64_t now_ms,
             std::vector<summary>& ended);
  /// The counts of the windows that closed by `now_ms` with lines suppressed.
  std::vector<summary> take_ended(std::int64_t now_ms);

private:
  struct window {
    std::int64_t start_ms = 0;
    std::uint32_t written = 0;
    std::uint64_t suppressed = 0;
    spdlog::level::level_enum level = spdlog::level::info;
  };
  std::uint32_t per_second_; // 0: no limit
  std::map<std::string, window, std::less<>> windows_;
};

/// log.format = json: {"time","level","msg",...fields} per line. Structured records
/// (log_record) carry their fields; other lines carry only the message.
std::unique_ptr<spdlog::formatter> make_json_formatter();

/// Installs the process's log: stderr, `json` or text lines, the rate limit. Call once, before
/// any thread logs.
void install_logging(bool json, std::uint32_t max_per_second, spdlog::level::level_enum level);

/// Writes the counts of windows that ended with suppressed lines; a timer calls this so a
/// burst's count appears even when nothing of its kind follows.
void flush_log_summaries();

/// One structured line: `kind` names it for rate limiting and JSON ("conn.open"), `msg` is
/// the human text, `fields` its data (never a credential). Text format: `msg key=value ...`.
void log_record(spdlog::level::level_enum level, std::string_view kind, std::string_view msg,
                const boost::json::object& fields);

/// The text form of a record: `msg key=value ...`, strings with spaces or quotes as JSON.
std::string record_text(std::string_view msg, const boost::json::object& fields);

} // namespace sy
