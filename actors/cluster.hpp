#pragma once
// One per node when clustering is on: membership over CAF remoting (the io middleman). Finds
// the other nodes from any seed, keeps a full mesh (each node connects to every member it
// learns of), monitors them, reconnects with backoff, and hands the directory the live member
// list. It is also the node's only remotely published actor: forwarded publishes, history
// reads and relay subscriptions from other nodes arrive here and go to the local directory.
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "schema/cluster.hpp"
#include "schema/room_cluster.hpp" // the cluster actor passes room links on
#include "schema/source.hpp"

namespace sy {

struct cluster_args {
  member_info self;
  std::vector<std::pair<std::string, std::uint16_t>> seeds; // --join host:port,...
  directory_actor directory;
  sources_actor sources; // told the live members too: it places the change-data sources
  std::shared_ptr<const config> cfg;
};

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_args args);

} // namespace sy
