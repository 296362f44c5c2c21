#pragma once
// One actor per live channel. Owns the sequence counter, the history store, the idempotency
// window and the subscriber groups. Publish = dedupe, sequence, append, fan out, in one turn.
// In a cluster the channel is either the owner (sequences; sends each burst to its relays and
// waits for the replicas' acks before acknowledging publishes) or a relay of the owner on
// another node (mirrors its history; fans out to local sessions; forwards publishes).
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/cluster.hpp"
#include "schema/messages.hpp"
#include "schema/store_messages.hpp"

namespace sy {

class byte_budget;
using idempotency_budget = byte_budget;

struct channel_args {
  std::string name;
  std::uint64_t epoch = 0;
  directory_actor directory;
  std::shared_ptr<const config> cfg;
  std::shared_ptr<idempotency_budget> idempotency_node; // node-wide; null: no node bound
  // storage.cache_bytes: the events held in every channel's hot tail; a channel appending
  // while the node is over it drops its own oldest. Null: no node bound (unit tests).
  std::shared_ptr<byte_budget> hot_node;
  // storage.engine = rocksdb: the node's store actor. The channel loads its state from it
  // before serving and acknowledges a publish only once the store has it. Null: memory only.
  store_actor store;
  // The directory counts it under quota.max_channels already (made by a publish). Otherwise
  // the channel tells it (stored) when it first holds an event that did not come through it.
  bool stored = false;
  // -- cluster (CLUSTER.md); all empty on a single node --
  cluster_actor owner;     // set: a relay following the owner node's cluster actor
  bool replica = false;    // relay in a replica position: the owner waits for its acks
  cluster_actor self_cluster; // this node's cluster actor (named in fetch requests)
  std::vector<cluster_actor> adopt_from; // owner: fetch the channel's state from these first
};

channel_actor spawn_channel(caf::actor_system& sys, channel_args args);

} // namespace sy
