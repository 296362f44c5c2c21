#include "metrics/source_gauges.hpp"

namespace sy::metrics {

namespace {

// Built once in init_source_gauges, before other threads exist; read-only afterwards.
std::vector<std::unique_ptr<source_gauges>>& table() {
  static std::vector<std::unique_ptr<source_gauges>> t;
  return t;
}

/// `source="<id>"`, the label every sample of a source carries (without the braces, so the
/// state family can add its own label).
std::string source_label(const std::string& id) {
  // Source ids are slot-like names ([a-z0-9_] by default); escape anyway, as the format asks.
  std::string out = "source=\"";
  for (char c : id) {
    if (c == '\\' || c == '"')
      out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out += "\"";
  return out;
}

template <class F>
void family(std::string& out, const char* name, const char* type, const char* help, F value) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
  for (const auto& g : table()) {
    out += name;
    out += '{' + source_label(g->id) + "} ";
    out += value(*g);
    out += '\n';
  }
}

} // namespace

const char* source_state_name(source_state s) noexcept {
  switch (s) {
    case source_state::connecting: return "connecting";
    case source_state::streaming: return "streaming";
    case source_state::retrying: return "retrying";
    case source_state::elsewhere: return "elsewhere";
    case source_state::stopped: return "stopped";
  }
  return "stopped";
}

void init_source_gauges(const std::vector<std::string>& ids) {
  auto& t = table();
  t.clear();
  for (const auto& id : ids) {
    t.push_back(std::make_unique<source_gauges>());
    t.back()->id = id;
  }
}

source_gauges& source_row(std::size_t i) {
  return *table().at(i);
}

std::size_t source_count() noexcept {
  return table().size();
}

void append_source_metrics(std::string& out) {
  if (table().empty())
    return;
  auto u = [](std::uint64_t v) { return std::to_string(v); };
  out += "# HELP switchyard_source_state The state of a change-data source on this node "
         "(1 for its current state)\n# TYPE switchyard_source_state gauge\n";
  for (const auto& g : table()) {
    auto now = static_cast<source_state>(g->state.load(std::memory_order_relaxed));
    for (auto s : {source_state::connecting, source_state::streaming, source_state::retrying,
                   source_state::elsewhere, source_state::stopped}) {
      out += "switchyard_source_state{" + source_label(g->id) + ",state=\"" +
             source_state_name(s) + "\"} "
             + (s == now ? "1" : "0") + "\n";
    }
  }
  family(out, "switchyard_source_received_lsn", "gauge",
         "End LSN of the last transaction received from the slot", [&](const source_gauges& g) {
           return u(g.received_lsn.load(std::memory_order_relaxed));
         });
  family(out, "switchyard_source_confirmed_lsn", "gauge",
         "LSN confirmed to PostgreSQL as stored (the slot resumes there)",
         [&](const source_gauges& g) { return u(g.confirmed_lsn.load(std::memory_order_relaxed)); });
  family(out, "switchyard_source_lag_bytes", "gauge",
         "WAL bytes between the server's reported position and the confirmed LSN",
         [&](const source_gauges& g) { return u(g.lag_bytes.load(std::memory_order_relaxed)); });
  family(out, "switchyard_source_lag_seconds", "gauge",
         "Age of the oldest received change not yet confirmed", [](const source_gauges& g) {
           auto ms = g.lag_ms.load(std::memory_order_relaxed);
           return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
         });
  family(out, "switchyard_source_lag_alert", "gauge",
         "1 while the lag in bytes is over the source's max_lag_bytes",
         [&](const source_gauges& g) { return u(g.lag_alert.load(std::memory_order_relaxed)); });
  family(out, "switchyard_source_changes_total", "counter",
         "Row changes stored from the source since the process started",
         [&](const source_gauges& g) { return u(g.changes.load(std::memory_order_relaxed)); });
  family(out, "switchyard_source_failures_total", "counter",
         "Failed connection attempts and broken streams of the source",
         [&](const source_gauges& g) { return u(g.failures.load(std::memory_order_relaxed)); });
}

} // namespace sy::metrics
