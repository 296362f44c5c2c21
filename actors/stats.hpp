#pragma once
// The console's live overview: every admin.stats_interval_ms the stats actor asks the directory
// whether console.stats has subscribers here and, only then, publishes one `stats` event there
// (the node's totals and per-second rates, actors/stats_sample.hpp; PROTOCOL.md *console.stats*).
// Nobody watching costs one question to the directory per interval, and no write anywhere.
#include <memory>

#include "config/config.hpp"
#include "schema/messages.hpp"

namespace sy {

struct stats_args {
  directory_actor directory;
  cluster_actor cluster; // null: not clustered (clusterMembers is [])
  std::shared_ptr<const config> cfg;
};

stats_actor spawn_stats(caf::actor_system& sys, stats_args args);

} // namespace sy
