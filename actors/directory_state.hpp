#pragma once
// The directory actor's state and the functions its files share (only actors/directory*.cpp
// include it): directory_channels.cpp (channels and patterns by name, the two channel budgets,
// routing publishes and history reads), directory_cluster.cpp (owners, replicas, remote
// patterns, views), directory.cpp (message handlers).
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/directory.hpp"
#include "actors/idempotency_window.hpp"
#include "schema/admin.hpp"
#include "schema/cluster.hpp"
#include "schema/room.hpp"

namespace sy::directory_impl {

struct directory_state {
  struct entry {
    channel_actor channel;
    std::uint64_t forwarded = 0; // messages sent to the channel by the directory
    cluster_actor owner;         // cluster: the owner node of a relay; null: owned here
    // Counted under quota.max_channels: made by a publish, or holds events. Otherwise it
    // exists only for subscriptions (quota.max_empty_channels) until a publish or the
    // channel's (stored) moves it.
    bool stored = false;
  };
  struct pattern_entry {
    pattern_actor pattern;
    std::uint64_t forwarded = 0;
  };
  std::shared_ptr<const config> cfg;
  // Ordered, so a new pattern finds its existing channels with one range walk.
  std::map<std::string, entry> channels;
  std::size_t empty = 0; // entries not stored: made for subscriptions only
  // Wildcard index: pattern prefix ("postgres:" for "postgres:*", "" for "*") -> actor. A new
  // channel finds its patterns with one lookup per prefix of its name, never by scanning
  // subscriptions.
  std::unordered_map<std::string, pattern_entry> patterns;
  std::uint64_t next_epoch = 0;
  cluster_view view; // empty: a single node owns every channel
  // Patterns on other nodes, by prefix: attached to the matching channels owned here.
  std::unordered_map<std::string, std::vector<pattern_actor>> remote_patterns;
  std::chrono::milliseconds timeout{2000};
  std::shared_ptr<idempotency_budget> idempotency; // idempotency.max_node_bytes, all windows
  std::shared_ptr<byte_budget> hot; // hot_tail_bytes(storage.cache_bytes), every channel's history
  store_actor store; // storage.engine = rocksdb: handed to every channel; null: memory
  struct room_entry {
    room_actor room;
    std::uint64_t forwarded = 0; // messages sent to the room by the directory
    cluster_actor owner;         // cluster: the owner node of a relay room; null: owned here
    std::vector<cluster_actor> replicas; // cluster: the replica nodes of room.R (not this one)
  };
  std::unordered_map<std::string, room_entry> rooms; // by room name (directory_rooms.cpp)
  // Without a store: the records this node keeps as a replica node of rooms owned elsewhere
  // (at most quota.max_channels), handed to the room when this node owns it.
  std::unordered_map<std::string, store_room> room_records;

  static inline const char* name = "directory";
};

using directory_ptr = directory_actor::stateful_pointer<directory_state>;

// Why a channel is looked up: to hold events (publishes, replicas of an owner with events),
// or for subscriptions only (subscribes, and an owner spawned for a relay that follows it).
enum class use { events, subscription };

// -- directory_channels.cpp --

directory_state::entry* lookup(directory_ptr self, const std::string& name, use why,
                               bool serve_here = false);
void mark_stored(directory_ptr self, const std::string& name, directory_state::entry& e);
directory_state::pattern_entry* lookup_pattern(directory_ptr self, const std::string& pattern);
void refuse_subscribe(directory_ptr self, const sub_request& req);
void route_publishes(directory_ptr self, publish_request& req);
void route_history(directory_ptr self, const history_request& req);

// -- directory_listing.cpp: the admin API's channel pages --

void list_channels(directory_ptr self, const channel_list_request& req);

// -- directory_rooms.cpp --

// Counts the message about to be sent; null: over the quota.
room_actor* room_for(directory_ptr self, const std::string& name);
void retire_room(directory_ptr self, const std::string& name, std::uint64_t handled);
void route_join(directory_ptr self, const room_join& j);
void route_patch(directory_ptr self, const room_patch& p);
void route_metadata(directory_ptr self, const room_metadata& md);
void route_room_read(directory_ptr self, const room_read& r);
void route_room_link(directory_ptr self, const wire_room_link& l);
/// Keeps the record of a room owned elsewhere, as one of its replica nodes: stored (with a
/// store) or in memory, then answered with its version.
caf::result<std::uint64_t> keep_room_record(directory_ptr self, const wire_room_record& r);
/// The record of a room this node keeps (its store, or memory), for an owner starting up.
caf::result<wire_room_record> kept_room_record(directory_ptr self, const std::string& room);
/// A new view: each room whose owner node changed is told (CLUSTER.md "Rooms").
void rooms_view(directory_ptr self);

// -- directory_cluster.cpp --

bool clustered(const directory_state& st);
cluster_actor owner_of(const directory_state& st, const std::string& name);
bool replica_here(const directory_state& st, const std::string& name);
void ensure_replicas(directory_ptr self, const std::string& name);
void attach_remote_patterns(directory_ptr self, const std::string& name, const channel_actor& ch);
void announce_pattern(directory_ptr self, const std::string& prefix, const pattern_actor& p);
history_page from_wire(wire_history_page& w);
void apply_view(directory_ptr self, cluster_view& v);
caf::typed_response_promise<follow_sync> fetch_from_store(directory_ptr self,
                                                          const std::string& channel);

} // namespace sy::directory_impl
