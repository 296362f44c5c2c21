#pragma once
// One actor per room R (spawned on demand by the directory): the members (presence), the
// metadata and the collaborative state with its version. Room R's events are the channel
// room.R, served by the channel actor like any other; this actor owns what a channel has not.
// A join is answered and the member registered in one turn, and every later presence, state or
// metadata frame goes to the member from this actor, so CAF's per-sender order leaves no gap
// between the snapshot and the live frames.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/room.hpp"
#include "schema/store_messages.hpp"

namespace sy {

/// `directory` is told (roomidle) when the room holds nothing that retiring would lose. With a
/// `store` (storage.engine = rocksdb) the room loads its version, state and metadata before
/// serving and acknowledges a change only once the store wrote it (actors/room_store.cpp).
/// In a cluster: this node's id, and the owner node's cluster actor when another node owns the
/// room (the room is then a relay of the owner's, actors/room_cluster.cpp).
/// `replicas`: the replica nodes of room.R (this one excluded), to which the owner replicates
/// the room record; `record`: without a store, the record this node kept as a replica node.
struct room_cluster_args {
  std::string node;
  cluster_actor owner_node;
  std::vector<cluster_actor> replicas;
  store_room record;
};

room_actor spawn_room(caf::actor_system& sys, std::string name, std::shared_ptr<const config> cfg,
                      directory_actor directory = {}, store_actor store = {},
                      room_cluster_args cluster = {});

} // namespace sy
