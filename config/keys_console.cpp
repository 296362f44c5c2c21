// The key table's rows for the admin console (README.md "Admin console").
#include "config/key_rows.hpp"

namespace sy::key_rows {

std::vector<config_key> console_keys() {
  std::vector<config_key> t;
  // A floor of 100 ms: each tick sums every thread's counter block and asks the directory a
  // question, cheap once a second, not something to run in a tight loop.
  t.push_back(int_key("admin.stats_interval_ms", {"SWITCHYARD_ADMIN_STATS_INTERVAL_MS"},
                      &config::admin_stats_interval_ms)
                .describe("console.stats carries the node's counters this often, while "
                          "someone subscribes to it; rates are per second over this interval")
                .at_least(100));
  return t;
}

} // namespace sy::key_rows
