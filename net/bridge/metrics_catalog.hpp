#pragma once
// Every metric GET /metrics exposes: its name, type, help and labels, read from the summed
// counter slots (metrics/slots.hpp). README.md "Metrics" lists the same families.
#include <string>

namespace sy {

struct metrics_scope {
  bool store = false;   // storage.engine = rocksdb: the store's histograms
  bool cluster = false; // cluster.port set: members by state, forwarded requests
};

/// The Prometheus text exposition (format 0.0.4) of this process's counters now.
std::string render_metrics(const metrics_scope& scope);

} // namespace sy
