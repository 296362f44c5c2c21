#pragma once
// The room actor's state: actors/room.cpp (members, presence, state, metadata: one room, or the
// owner of a room in a cluster), room_store.cpp (the durable store), room_cluster.cpp (relay
// rooms on the other nodes of a cluster, and the owner's side of them).
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "actors/room_presence.hpp"
#include "actors/room.hpp"
#include "metrics/hooks.hpp"
#include "schema/room_cluster.hpp"
#include "schema/store_messages.hpp"

namespace sy::room_impl {

struct member {
  std::string id;
  std::string user;
  std::string info; // JSON object text
  std::int64_t joined_ms = 0;
  session_actor session; // null: a member on another node (cluster)
  std::string node;       // cluster: the node whose connection it is ("" when not clustered)
  // Presence changes counted up to and including this member's own join: its snapshot shows
  // every one of them, so the diffs it gets start after them.
  std::uint64_t seen = 0;
};

struct room_state {
  metrics::live_count live{metrics::rooms}; // GET /metrics: live rooms
  metrics::held_count counted_members{metrics::room_members}; // members.size()
  std::string room; // R (its events are the channel room.R)
  std::shared_ptr<const config> cfg;
  std::map<std::uint64_t, member> members; // by join number: the members list's order
  std::unordered_map<caf::actor_addr, std::uint64_t> by_session; // this node's members
  std::unordered_map<std::string, std::uint64_t> by_id;           // every member
  std::uint64_t next_member = 1;
  boost::json::value state = boost::json::object();
  std::string state_text = "{}";
  std::string metadata_text = "{}";
  std::uint64_t version = 0;
  // Presence changes not flushed yet; changes_base counts the ones flushed before them.
  std::vector<presence_change> pending;
  std::uint64_t changes_base = 0;
  bool flush_armed = false;
  directory_actor directory; // null: never retires (unit tests)
  // Messages the directory forwarded that this room handled: the directory retires the room
  // only when it sent no more than that, so nothing is in flight to a retiring room.
  std::uint64_t handled = 0;
  // -- with storage.engine = rocksdb (actors/room_store.cpp) --
  store_actor store; // null: memory only (version, state and metadata die with the room)
  bool loading = false;     // the stored record is being read: nothing is served before it
  bool load_failed = false; // it could not be read: requests are refused until the room retires
  bool writing = false;     // a patch or metadata write is on its way to disk
  // Work that arrived while loading (everything) or writing (patches and metadata), in
  // arrival order; `refuse` answers it when the record cannot be loaded.
  struct waiting_work {
    std::function<void()> run;
    std::function<void(errc, const std::string&)> refuse;
  };
  std::deque<waiting_work> waiting;
  // -- in a cluster (room_cluster.cpp) --
  enum class role : std::uint8_t { owner, relay };
  role mode = role::owner; // owner: sequences every change; relay: mirrors the owner
  std::string node;        // this node's id ("" when not clustered)
  cluster_actor owner_node; // relay: the owner node's cluster actor (where links go)
  room_actor owner;         // relay: the owner room (from its snapshot); null while linking
  std::uint64_t link_seq = 0; // relay: the link in flight (a late retry timer is ignored)
  std::unordered_map<std::string, room_actor> relays; // owner: node id -> its relay room
  // relay: local joins sent to the owner and not answered yet, by token
  struct pending_join {
    session_actor session;
    std::string user;
    std::string info;
    bool cancelled = false; // the session left meanwhile: leave once the owner answers
    caf::actor_addr sent_to; // the owner room it went to (a new owner gets it again)
  };
  std::map<std::uint64_t, pending_join> pending_joins;
  std::uint64_t next_token = 1;
  bool synced = false; // relay: a snapshot of the owner came (the mirror is the owner's room)
  std::size_t calls = 0; // relay: REST writes sent to the owner and not answered yet
  // -- copies of the room record (room_replica.cpp) --
  std::vector<cluster_actor> replica_nodes; // the replica nodes of room.R, this one excluded
  store_room kept; // without a store: the record this node keeps as a replica node of room.R
  // Member ids below it are reserved: stored and replicated, so no later owner gives them.
  // Joins that need an id past it wait in `id_waiting` while `reserving` the next block.
  std::uint64_t id_floor = 0;
  bool reserving = false;
  std::deque<waiting_work> id_waiting;

  static inline const char* name = "room";
};

using room_ptr = room_actor::stateful_pointer<room_state>;

// -- room.cpp, used by room_store.cpp and room_cluster.cpp --

/// Offers the directory to retire the room when it holds nothing that would be lost.
void check_idle(room_ptr self);
void arm_flush(room_ptr self);
/// One encoded frame to every member connected to this node.
void broadcast(room_ptr self, const frame_ptr& frame);
/// A frame for one member: sent to its session, or (owner) through its node's relay.
void send_member(room_ptr self, const member& m, std::string text);
std::string members_json(const room_state& st);
member* find_member(room_ptr self, const caf::actor_addr& who);
member* member_by_id(room_ptr self, const std::string& id);
/// Owner: a member joins the list (its join is sequenced and sent to every relay).
member& add_member(room_ptr self, member m, std::uint64_t n = 0);
/// Owner: a member leaves the list (sequenced and sent to every relay).
void drop_member(room_ptr self, std::uint64_t n);
/// Owner: a member's new info; the member's frame goes to it when it is refused.
void update_member_info(room_ptr self, member& m, const std::string& info);
/// Owner: a patch from member `m` (null: REST); answered through `p.done` or to the member.
void apply_patch(room_ptr self, member* m, const room_patch& p);
void apply_metadata(room_ptr self, const room_metadata& md);
/// Owner: a volatile publish of member `from` to every other member.
void fan_volatile(room_ptr self, const member& from, const std::string& type,
                  const std::string& data);
void read(room_ptr self, const room_read& r);
// -- used by the handlers (room_handlers.cpp) --
void flush(room_ptr self);
void join(room_ptr self, const room_join& j);
void refuse_join(room_ptr self, const room_join& j, errc e, const std::string& msg);
/// A session leaves (or its actor died): the member leaves (owner) or asks the owner (relay).
void remove_member(room_ptr self, const caf::actor_addr& who);
/// The member that sent a patch (by session here, by id from a relay); null for REST.
member* patch_sender(room_ptr self, const room_patch& p);
void refuse_patch(room_ptr self, const room_patch& p, errc e, const std::string& msg,
                  std::string frame = {});
/// REST work answered with a failure (the room's record cannot be read).
template <class Request>
auto fail_rest(const Request& r) {
  return [done = r.done](errc e, const std::string& msg) {
    if (done)
      done->fail(e, msg);
  };
}

// -- room_store.cpp --

/// Reads the room's stored record; work waits in `waiting` until it is in.
void start_loading(room_ptr self);
/// Reads the stored record (work waits meanwhile) and hands it to `got`.
void load_record(room_ptr self, std::function<void(const store_room&)> got);
/// Runs `w` now, or queues it behind the load (and, if `mutating`, behind the write in
/// flight and the writes queued before it). A room whose load failed refuses it.
void when_ready(room_ptr self, bool mutating, room_state::waiting_work w);
/// Runs what waited, in arrival order, until the room is busy again.
void run_waiting(room_ptr self);
/// Writes the room's record (version, state, metadata); calls `written` once it is on disk
/// or `failed` when it is not, then runs the work that waited for it.
void persist(room_ptr self, store_room record, std::function<void()> written,
             std::function<void(const std::string&)> failed);

// -- room_cluster.cpp: shared by the owner's and the relay's side --

bool is_relay(const room_state& st);
/// The message being handled comes from the owner room this relay follows.
bool from_owner(room_ptr self);
wire_room_change join_change(std::uint64_t n, const member& m);
member from_join(const wire_room_change& c);
/// Keeps new member ids above every id the room has seen.
void note_id(room_state& st, const std::string& id, std::uint64_t n = 0);
std::chrono::milliseconds peer_timeout(const room_state& st);
/// Another version, state and metadata replace this room's; members here get the difference.
void adopt_record(room_ptr self, std::uint64_t version, const std::string& state_text,
                  const std::string& metadata_text);
/// With a store, writes the record this node now owns.
void store_owned(room_ptr self);

// -- room_replica.cpp: the owner's copies of the room record, member ids --

/// The room record as it is after a change (the version, state, metadata and id floor given).
wire_room_record record_of(const room_state& st, std::uint64_t version, std::string state_text,
                           std::string metadata_text, std::uint64_t id_floor);
/// The same record in the store's form.
store_room stored_form(const wire_room_record& r);
/// Owner: a change of the record to every relay (rstate) and the record to every replica node
/// (roomrep), each answered (or timed out) before `done` runs and makes the change take effect
/// here; patches, metadata and id blocks wait meanwhile (CLUSTER.md "Rooms").
void replicate(room_ptr self, const wire_room_change& c, const wire_room_record& record,
               std::function<void()> done);
/// Owner: the current record to every replica node, not waited for (an adopted record).
void send_record(room_ptr self);
/// Runs `w`, a join that gives a member id, once an id is reserved: at once while the block
/// holds one, else after the next block is stored and replicated.
void with_member_id(room_ptr self, room_state::waiting_work w);
/// A record this node kept (its store, or memory as a replica node) replaces the room's when
/// it is more advanced, and member ids continue above its floor.
void take_record(room_ptr self, const store_room& r);
/// Owner starting up in a cluster: asks every replica node of room.R for the record it keeps
/// and takes the most advanced (a node back from the dead wins room.R again, but the changes
/// made while it was away are on the others); work waits meanwhile, then `done` runs.
void fetch_kept(room_ptr self, std::function<void()> done);

// -- room_cluster.cpp (owner) and room_relay.cpp (relay) --

/// Owner: send a sequenced change to every relay.
void to_relays(room_ptr self, const wire_room_change& c);
/// Relay: link to the owner node's room (the snapshot ends the wait).
void link(room_ptr self);
/// Both: a relay links (owner), the owner's snapshot, changes and frames (relay).
void on_link(room_ptr self, const wire_room_link& l);
void on_snapshot(room_ptr self, const wire_room_snapshot& s);
void on_change(room_ptr self, const wire_room_change& c);
void on_joined(room_ptr self, const wire_room_joined& j);
/// Relay: the local parts of a join, leave, info, patch, volatile and REST write.
void relay_join(room_ptr self, const room_join& j);
void relay_leave(room_ptr self, const caf::actor_addr& who);
void relay_info(room_ptr self, const caf::actor_addr& who, const std::string& info);
void relay_patch(room_ptr self, const room_patch& p);
void relay_metadata(room_ptr self, const room_metadata& md);
void relay_volatile(room_ptr self, const room_volatile& v);
/// The owner of the room moved: `owner_node` null means this node owns it now; `live` are
/// the nodes of the cluster view (members of other nodes leave).
void owner_moved(room_ptr self, const cluster_actor& owner_node,
                 const std::vector<std::string>& live);
/// A monitored relay (owner) or the owner (relay) went down: true when it was one.
bool peer_down(room_ptr self, const caf::actor_addr& who);
/// Owner: what relays ask for their members and REST requests.
void owner_join(room_ptr self, const wire_room_join& j);
void refuse_owner_join(room_ptr self, const wire_room_join& j, errc e, const std::string& msg);
void owner_leave(room_ptr self, const std::string& id);
caf::result<wire_room_result> owner_call(room_ptr self, const wire_room_call& c);

} // namespace sy::room_impl
