#pragma once
// The process's change-data sources (CHANGE-CAPTURE.md): runs a source actor for each source
// placed on this node (all of them without a cluster; in a cluster the best-ranked live member
// for the source id, ranked as channel owners are), stops the ones placed elsewhere when the
// member list changes, and answers GET /v1/sources.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/source.hpp"

namespace sy {

struct sources_args {
  std::shared_ptr<const config> cfg;
  directory_actor directory;
  std::string node_id;   // this node's id; "" when not clustered
  bool clustered = false; // true: run nothing until the cluster's first view
};

sources_actor spawn_sources(caf::actor_system& sys, sources_args args);

/// The cluster placement key of source `id` (its rendezvous name, apart from channel names).
std::string source_placement_key(const std::string& id);

} // namespace sy
