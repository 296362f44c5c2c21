#include "actors/log_line.hpp"

#include <chrono>
#include <mutex>

#include <boost/json/serialize.hpp>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "schema/event.hpp"
#include "schema/json_text.hpp"

namespace sy {

// -- rate limit -----------------------------------------------------------------------------------

bool log_limiter::admit(std::string_view kind, spdlog::level::level_enum level,
                        std::int64_t now_ms, std::vector<summary>& ended) {
  if (per_second_ == 0)
    return true;
  auto it = windows_.find(kind);
  if (it == windows_.end())
    it = windows_.emplace(std::string(kind), window{now_ms, 0, 0, level}).first;
  auto& w = it->second;
  if (now_ms - w.start_ms >= 1000) {
    if (w.suppressed > 0)
      ended.push_back({it->first, w.level, w.suppressed});
    w = window{now_ms, 0, 0, level};
  }
  if (w.written < per_second_) {
    ++w.written;
    return true;
  }
  ++w.suppressed;
  w.level = level;
  return false;
}

std::vector<log_limiter::summary> log_limiter::take_ended(std::int64_t now_ms) {
  std::vector<summary> out;
  for (auto it = windows_.begin(); it != windows_.end();) {
    auto& w = it->second;
    if (now_ms - w.start_ms < 1000) {
      ++it;
      continue;
    }
    if (w.suppressed > 0)
      out.push_back({it->first, w.level, w.suppressed});
    it = windows_.erase(it); // a quiet kind holds no memory
  }
  return out;
}

// -- formatting -----------------------------------------------------------------------------------

namespace {

// Structured records go through their own logger (same sink) so that the JSON formatter knows
// their payload is already the object's members.
constexpr std::string_view record_logger_name = "record";

struct log_globals {
  std::mutex mu; // the limiter is shared by every actor and I/O thread that logs
  log_limiter limiter{20};
  bool json = false;
  std::shared_ptr<spdlog::logger> records; // null until install_logging: plain text via default
};

log_globals& globals() {
  static log_globals g;
  return g;
}

std::int64_t steady_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

class json_formatter final : public spdlog::formatter {
public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    using namespace std::chrono;
    std::string line = "{\"time\":\"";
    append_timestamp(line,
                     duration_cast<milliseconds>(msg.time.time_since_epoch()).count());
    line += "\",\"level\":\"";
    auto lv = spdlog::level::to_string_view(msg.level);
    line.append(lv.data(), lv.size());
    line += "\",";
    std::string_view payload(msg.payload.data(), msg.payload.size());
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()) == record_logger_name) {
      line += payload;
    } else {
      line += "\"msg\":";
      append_json_string(line, payload);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

bool needs_quotes(std::string_view s) {
  if (s.empty())
    return true;
  for (char c : s)
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20)
      return true;
  return false;
}

// `text_fields` false: the text line is the message alone (a summary's count is in it).
void write_line(spdlog::level::level_enum level, std::string_view kind, std::string_view msg,
                const boost::json::object& fields, bool text_fields = true) {
  auto& g = globals();
  if (!g.records) {
    spdlog::log(level, "{}", text_fields ? record_text(msg, fields) : std::string(msg));
    return;
  }
  if (!g.json) {
    g.records->log(level, "{}", text_fields ? record_text(msg, fields) : std::string(msg));
    return;
  }
  std::string body = "\"msg\":";
  append_json_string(body, msg);
  body += ",\"kind\":";
  append_json_string(body, kind);
  for (const auto& kv : fields) {
    if (kv.key() == "msg" || kv.key() == "kind" || kv.key() == "time" || kv.key() == "level")
      continue; // the line's own members win
    body += ',';
    append_json_string(body, kv.key());
    body += ':';
    body += boost::json::serialize(kv.value());
  }
  g.records->log(level, "{}", body);
}

void write_summaries(const std::vector<log_limiter::summary>& ended) {
  for (const auto& s : ended)
    write_line(s.level, s.kind,
               s.kind + ": " + std::to_string(s.suppressed) + " more suppressed",
               boost::json::object{{"suppressed", s.suppressed}}, false);
}

} // namespace

std::unique_ptr<spdlog::formatter> make_json_formatter() {
  return std::make_unique<json_formatter>();
}

std::string record_text(std::string_view msg, const boost::json::object& fields) {
  std::string out(msg);
  for (const auto& kv : fields) {
    out += ' ';
    out.append(kv.key().data(), kv.key().size());
    out += '=';
    if (kv.value().is_string()) {
      std::string_view s = kv.value().get_string();
      if (needs_quotes(s))
        append_json_string(out, s);
      else
        out += s;
    } else {
      out += boost::json::serialize(kv.value());
    }
  }
  return out;
}

void install_logging(bool json, std::uint32_t max_per_second, spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto plain = std::make_shared<spdlog::logger>("switchyard", sink);
  auto records = std::make_shared<spdlog::logger>(std::string(record_logger_name), sink);
  if (json)
    sink->set_formatter(make_json_formatter());
  else
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v"));
  plain->set_level(level);
  records->set_level(level);
  spdlog::set_default_logger(plain);
  auto& g = globals();
  std::lock_guard<std::mutex> lock(g.mu);
  g.limiter = log_limiter(max_per_second);
  g.json = json;
  g.records = std::move(records);
}

void flush_log_summaries() {
  auto& g = globals();
  std::lock_guard<std::mutex> lock(g.mu);
  write_summaries(g.limiter.take_ended(steady_now_ms()));
}

void log_record(spdlog::level::level_enum level, std::string_view kind, std::string_view msg,
                const boost::json::object& fields) {
  if (!spdlog::default_logger_raw()->should_log(level))
    return;
  auto& g = globals();
  std::vector<log_limiter::summary> ended;
  // Lines are written under the lock so that a kind's count never precedes its own lines.
  std::lock_guard<std::mutex> lock(g.mu);
  bool write = g.limiter.admit(kind, level, steady_now_ms(), ended);
  write_summaries(ended);
  if (write)
    write_line(level, kind, msg, fields);
}

} // namespace sy
