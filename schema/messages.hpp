#pragma once
// Every typed message, atom and actor interface of the router, declared once (the payloads that
// cross nodes are defined in schema/cluster.hpp). actors/ and the REST bridge in net/ know each
// other only through these aliases. actors/README.md describes which actor sends which message.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "schema/dialects/codec.hpp"
#include "schema/errc_caf.hpp"
#include "schema/event.hpp"
#include "schema/filter.hpp"
#include "schema/scope_filter.hpp"

namespace sy {

// -- atoms (CAF 0.17: at most 10 characters); one meaning each ----------------------------------

using publish_atom = caf::atom_constant<caf::atom("publish")>;     // sequence and store events
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;     // a burst to fan out
using suback_atom = caf::atom_constant<caf::atom("suback")>;
using history_atom = caf::atom_constant<caf::atom("history")>;     // read a page of history
using command_atom = caf::atom_constant<caf::atom("command")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>; // server stops: close with 1001
using drain_atom = caf::atom_constant<caf::atom("drain")>; // shutdown: fan out what is pending now
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;       // a local pattern matches
using peer_pattern_atom = caf::atom_constant<caf::atom("peerpat")>; // ... a pattern elsewhere
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using disconnect_atom = caf::atom_constant<caf::atom("disconnect")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;
using authwait_atom = caf::atom_constant<caf::atom("authwait")>;
using view_atom = caf::atom_constant<caf::atom("view")>;           // the live cluster members
using follow_atom = caf::atom_constant<caf::atom("follow")>;       // a relay asks the owner
using sync_atom = caf::atom_constant<caf::atom("sync")>;           // owner -> relay: its history
using replicate_atom = caf::atom_constant<caf::atom("replicate")>; // owner -> relay: a burst
using replica_atom = caf::atom_constant<caf::atom("replica")>;     // keep a replica of it
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;         // hand your state over
using owner_atom = caf::atom_constant<caf::atom("owner")>;         // the owner moved: follow it
using promote_atom = caf::atom_constant<caf::atom("promote")>;     // this node owns it now
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using stored_atom = caf::atom_constant<caf::atom("stored")>;
using unused_atom = caf::atom_constant<caf::atom("unused")>;
using watchers_atom = caf::atom_constant<caf::atom("watchers")>; // how many subscribe to it now
// -- rooms (schema/room.hpp has their payloads and the room actor's interface) --
using join_atom = caf::atom_constant<caf::atom("join")>;         // a session joins a room
using joined_atom = caf::atom_constant<caf::atom("joined")>;     // room -> session: the snapshot
using leave_atom = caf::atom_constant<caf::atom("leave")>;       // a session leaves a room
using presence_atom = caf::atom_constant<caf::atom("presence")>; // a member's new info
using patch_atom = caf::atom_constant<caf::atom("patch")>;       // a state merge patch
using metadata_atom = caf::atom_constant<caf::atom("metadata")>; // a backend sets the metadata
using roomread_atom = caf::atom_constant<caf::atom("roomread")>; // REST reads the whole room
using roomframe_atom = caf::atom_constant<caf::atom("roomframe")>; // room -> member: a frame
using volatile_atom = caf::atom_constant<caf::atom("volatile")>; // deliver to members, unstored
using roomidle_atom = caf::atom_constant<caf::atom("roomidle")>; // a room holds nothing: retire?
using roomlink_atom = caf::atom_constant<caf::atom("roomlink")>; // a relay room -> the owner room
// -- the admin API (schema/admin.hpp has their payloads) --
using connreg_atom = caf::atom_constant<caf::atom("connreg")>;   // session -> registry: admitted
using connleft_atom = caf::atom_constant<caf::atom("connleft")>; // session -> registry: it ended
using connlist_atom = caf::atom_constant<caf::atom("connlist")>; // REST -> registry: a page
using connstat_atom = caf::atom_constant<caf::atom("connstat")>; // a session's live numbers
using kick_atom = caf::atom_constant<caf::atom("kick")>;         // close for an operator (4011)
using chanlist_atom = caf::atom_constant<caf::atom("chanlist")>; // REST -> directory: channels
using chanstat_atom = caf::atom_constant<caf::atom("chanstat")>; // a channel's live numbers
using roomrep_atom = caf::atom_constant<caf::atom("roomrep")>; // owner room -> a replica node
using roomfetch_atom = caf::atom_constant<caf::atom("roomfetch")>; // a new owner room -> replica

// -- change-data sources (schema/source.hpp has their payloads and interfaces) --
using pump_atom = caf::atom_constant<caf::atom("pump")>;       // self: read the stream once more
using srcack_atom = caf::atom_constant<caf::atom("srcack")>;   // a change's publish completed
using srclist_atom = caf::atom_constant<caf::atom("srclist")>; // REST -> sources: the rows
using srcstat_atom = caf::atom_constant<caf::atom("srcstat")>; // sources -> source: its row

// -- payloads -------------------------------------------------------------------------------------

struct publish_cmd;
struct publish_result;
struct history_query;
struct history_page;
struct sub_request;
struct sub_ack;
// Cluster payloads (schema/cluster.hpp): they cross nodes.
struct cluster_view;
struct follow_request;
struct follow_sync;
struct fetch_request;
struct remote_pattern;
// Room payloads (schema/room.hpp).
struct room_join;
struct room_join_ack;
struct room_patch;
struct room_metadata;
struct room_read;
struct room_volatile;
struct wire_room_link; // schema/room_cluster.hpp: crosses nodes
// Admin API payloads (schema/admin.hpp).
struct conn_entry;
struct conn_list_request;
struct kick_request;
struct channel_list_request;
class kick_tally;
using kick_ticket = std::shared_ptr<const kick_tally>;
struct wire_room_record;

/// Completes a request made from outside the actor system (REST) or an actor's request/response
/// (adapted by actors/completions.hpp) without a reply message: the answering actor calls it
/// once. An implementation dropped unanswered must answer errc::unavailable itself (in its
/// destructor), so a request never hangs on a dead actor.
template <class Result>
class completion {
public:
  virtual ~completion() = default;
  virtual void complete(const Result& result) = 0;
  /// `detail` is the human-readable message shown next to the code (REST body, error frame).
  virtual void fail(errc code, std::string detail) = 0;
  /// A publish whose completion must come after the event was handed to the channel's local
  /// subscribers (a change-data source: the next change, on another channel, must not overtake
  /// it at a wildcard subscriber). Others complete as soon as the event is stored.
  virtual bool after_delivery() const noexcept {
    return false;
  }
};

using publish_completion = std::shared_ptr<completion<publish_result>>;
using history_completion = std::shared_ptr<completion<history_page>>;

/// Where a publish or history request comes from, which decides where it is served.
enum class request_origin : std::uint8_t {
  client, // this node's clients and actors: served by the owner node, wherever that is
  peer,   // forwarded by a node that sees this one as the owner: served here, never passed on
};

/// Publishes parsed in one pass of an I/O loop travel together: one message to the directory,
/// one per channel from there.
struct publish_item;
using publish_items = std::vector<publish_item>;
struct publish_request;
struct history_request;

// Where a session sends its live numbers for a page of GET /v1/connections: the row index,
// its subscriptions and the bytes queued on its connection (sent from the connection's I/O
// thread, which alone knows what is queued).
using conn_stat_sink =
  caf::typed_actor<caf::reacts_to<connstat_atom, std::uint32_t, std::uint64_t, std::uint64_t>>;

using session_actor = caf::typed_actor<
  // live events for a subscription: batch[offset..] (one message per burst, not per event)
  caf::reacts_to<deliver_atom, std::uint32_t, event_batch, std::uint32_t>,
  caf::reacts_to<suback_atom, sub_ack>,                      // confirmation + replay
  caf::reacts_to<command_atom, client_command>,              // decoded client frame
  caf::reacts_to<closed_atom, std::uint16_t, std::string>,   // connection gone
  caf::reacts_to<tick_atom>,                                 // heartbeat / idle check
  caf::reacts_to<expire_atom, std::uint64_t>,                // token expiry (grant generation)
  caf::reacts_to<authwait_atom>,                             // first-message auth deadline
  caf::reacts_to<shutdown_atom>, // server shutdown: close with 1001 behind what is queued
  // -- the admin API (schema/admin.hpp) --
  caf::reacts_to<connstat_atom, conn_stat_sink, std::uint32_t>, // send row N's numbers there
  caf::reacts_to<kick_atom, kick_ticket>, // an operator closes it: 4011 closed_by_admin
  // -- rooms (schema/room.hpp) --
  caf::reacts_to<joined_atom, room_join_ack>,       // a join's answer: snapshot or refusal
  // a room's presence/state/metadata frame (room name: dropped once the session left it)
  caf::reacts_to<roomframe_atom, std::string, std::shared_ptr<const std::string>>>;

// Audit records: (type, data as a JSON object text). Published to log.event (without client
// identity), log.audit and, for the gateway's audit events, console.realtime.*; optionally
// appended to a JSON-lines file.
using audit_actor = caf::typed_actor<caf::reacts_to<audit_atom, std::string, std::string>>;

// The console's live numbers (actors/stats.hpp): a self-sent tick every admin.stats_interval_ms
// publishes the node's counters to console.stats while that channel has subscribers.
using stats_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

/// The quota actor's answer to a session that starts.
enum class admission : std::uint8_t { refused, admitted };

// Counts WebSocket sessions per token subject and per client address (quota.*).
using quota_actor = caf::typed_actor<
  caf::replies_to<connect_atom, std::string, std::string>::with<admission>, // sub, ip
  caf::reacts_to<disconnect_atom, std::string, std::string>>;          // an admitted one left

// The registry of this process's sessions (actors/connections.hpp): every session registers
// once when admitted and leaves when it ends (monitored: a session that dies is forgotten).
using connections_actor = caf::typed_actor<
  caf::reacts_to<connreg_atom, conn_entry>,
  caf::reacts_to<connleft_atom, std::uint64_t>, // the session's key (its actor id)
  caf::reacts_to<connlist_atom, conn_list_request>,
  caf::reacts_to<kick_atom, kick_request>>;

// One per wildcard pattern ("prefix*", "*"): its subscribers, fed by every matching channel
// with one message per burst.
using pattern_actor = caf::typed_actor<
  caf::reacts_to<subscribe_atom, sub_request>,
  caf::reacts_to<unsubscribe_atom, caf::actor_addr, std::uint32_t>,
  caf::reacts_to<deliver_atom, event_batch>, // a burst of one matching channel
  caf::reacts_to<deliver_atom, std::vector<event>>, // ... owned by another node (CLUSTER.md)
  caf::reacts_to<tick_atom>,                 // idle check
  caf::reacts_to<unused_atom>,               // self: no subscriber left; retire soon?
  caf::reacts_to<retire_atom>,
  // shutdown: every burst handed to it before this message has been forwarded to its sessions
  caf::replies_to<drain_atom>::with<std::size_t>>;

// -- the cluster (CLUSTER.md); the payloads are defined in schema/cluster.hpp --------------------

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using members_atom = caf::atom_constant<caf::atom("members")>;

struct member_info;
struct member_status;
struct wire_publish_result;
struct wire_history_page;

// One per node when clustering is on, and the node's only remotely published actor: other
// nodes reach this node's directory through it. Every payload is serializable.
using cluster_actor = caf::typed_actor<
  // a node introduces itself; the answer lists every member the callee knows (itself first)
  caf::replies_to<hello_atom, member_info>::with<std::vector<member_info>>,
  // GET /v1/cluster
  caf::replies_to<members_atom>::with<std::vector<member_status>>,
  // a publish forwarded to the owner of its channel (served there: request_origin::peer)
  caf::replies_to<publish_atom, publish_cmd>::with<wire_publish_result>,
  // a history read forwarded to the owner
  caf::replies_to<history_atom, history_query>::with<wire_history_page>,
  // a node's relay for a channel: send it the channel's events from its cursor on
  caf::reacts_to<follow_atom, follow_request>,
  // a node that now owns a channel asks for its state (and takes the ownership over)
  caf::replies_to<fetch_atom, fetch_request>::with<follow_sync>,
  // the owner asks this node to keep a replica of a channel
  caf::reacts_to<replica_atom, std::string>,
  // a wildcard pattern on another node: send it the bursts of matching channels owned here
  caf::reacts_to<peer_pattern_atom, remote_pattern>,
  // a relay room on another node links to the room owned here: passed to the directory
  caf::reacts_to<roomlink_atom, wire_room_link>,
  // this node holds a replica position of room.R: keep the owner's room record (answered once
  // stored, with its version)
  caf::replies_to<roomrep_atom, wire_room_record>::with<std::uint64_t>,
  // an owner room starting up asks for the record of room R this node keeps (version 0: none)
  caf::replies_to<roomfetch_atom, std::string>::with<wire_room_record>,
  // reconnect attempts (self-sent)
  caf::reacts_to<retry_atom, std::string>,
  caf::reacts_to<tick_atom>>;

using channel_actor = caf::typed_actor<
  caf::reacts_to<publish_atom, publish_items>,   // each item completes through its completion
  caf::reacts_to<history_atom, history_request>, // ... and so does a history read
  caf::reacts_to<subscribe_atom, sub_request>,
  caf::reacts_to<unsubscribe_atom, caf::actor_addr, std::uint32_t>,
  caf::reacts_to<flush_atom>,    // self-sent: fan out what was published since the last flush
  // shutdown: flush now (whatever the batch window); answers the number of events fanned out
  caf::replies_to<drain_atom>::with<std::size_t>,
  caf::reacts_to<attach_atom, pattern_actor>,       // directory: a pattern matching this channel
  caf::reacts_to<peer_pattern_atom, pattern_actor>, // ... a pattern on another node (owner only)
  caf::reacts_to<tick_atom>,     // idle check
  caf::reacts_to<unused_atom>,   // self: never held an event and nobody uses it; retire soon?
  caf::reacts_to<retire_atom>,   // directory agreed: quit
  // -- cluster (CLUSTER.md) --
  // owner: a relay on another node follows this channel from a cursor
  caf::reacts_to<follow_atom, follow_request>,
  // relay: the owner's history after our position, then each of its bursts (answered with
  // our head)
  caf::reacts_to<sync_atom, follow_sync>,
  caf::replies_to<replicate_atom, std::vector<event>>::with<std::uint64_t>,
  // a node that now owns the channel takes its state: answer with it, then follow that node
  caf::replies_to<fetch_atom, fetch_request>::with<follow_sync>,
  caf::reacts_to<owner_atom, cluster_actor>, // the owner is (now) that node: follow it
  caf::reacts_to<promote_atom>,              // the view makes this node the owner
  caf::reacts_to<retry_atom, std::uint64_t>, // self: re-send an unanswered follow request
  caf::reacts_to<replica_atom>,              // relay: this node holds a replica position now
  // the admin API: subscribers, last seq, retained events, epoch (not a use: it keeps no
  // channel from retiring)
  caf::replies_to<chanstat_atom>::with<std::uint64_t, std::uint64_t, std::uint64_t,
                                       std::uint64_t>,
  // its local subscribers now (not counted as a directory message: asking is no activity)
  caf::replies_to<watchers_atom>::with<std::size_t>>;

// Every publish and history read reaches the directory in one form, whoever asked: REST hands
// over its completions; actors adapt their request/response (actors/completions.hpp); the
// cluster actor marks what other nodes forward as request_origin::peer.
using directory_actor = caf::typed_actor<
  caf::reacts_to<publish_atom, publish_request>,
  caf::reacts_to<history_atom, history_request>,
  caf::reacts_to<subscribe_atom, sub_request>,
  // channel name, number of directory messages the channel has handled
  caf::reacts_to<idle_atom, std::string, std::uint64_t>,
  // a channel made for subscriptions holds events now (replicated or adopted): it moves from
  // quota.max_empty_channels to quota.max_channels
  caf::reacts_to<stored_atom, std::string>,
  // the local subscribers of a live channel (0 when it is not live here); spawns nothing
  caf::replies_to<watchers_atom, std::string>::with<std::size_t>,
  // -- cluster: the member list, and what other nodes ask of the channels here --
  caf::reacts_to<view_atom, cluster_view>,
  caf::reacts_to<follow_atom, follow_request>,
  caf::replies_to<fetch_atom, fetch_request>::with<follow_sync>,
  caf::reacts_to<replica_atom, std::string>, // keep a replica (relay) of this channel
  // a pattern on another node: attach it to the matching channels owned here
  caf::reacts_to<peer_pattern_atom, remote_pattern>,
  // shutdown: every channel, then every pattern, has handed its pending fan-out to the
  // sessions (messages already in their mailboxes); answers the events flushed
  caf::replies_to<drain_atom>::with<std::size_t>,
  // -- rooms: spawned on demand, each forwarded to its room actor (actors/directory_rooms.cpp) --
  caf::reacts_to<join_atom, room_join>,
  caf::reacts_to<patch_atom, room_patch>,       // REST PATCH /v1/rooms/{R}/state
  caf::reacts_to<metadata_atom, room_metadata>, // REST PUT /v1/rooms/{R}/metadata
  caf::reacts_to<roomread_atom, room_read>,     // REST GET /v1/rooms/{R}
  // room name, number of directory messages the room has handled: it has no member, no
  // state and no metadata (a fresh room would be the same), so it may retire
  caf::reacts_to<roomidle_atom, std::string, std::uint64_t>,
  // a relay room on another node links to the room owned here (CLUSTER.md "Rooms")
  caf::reacts_to<roomlink_atom, wire_room_link>,
  // the admin API: a page of the channels live here, or one of them (schema/admin.hpp)
  caf::reacts_to<chanlist_atom, channel_list_request>,
  // a replica of a room's record (from the owner node, through the cluster actor)
  caf::replies_to<roomrep_atom, wire_room_record>::with<std::uint64_t>,
  // ... and the record of a room kept here, for its owner starting up
  caf::replies_to<roomfetch_atom, std::string>::with<wire_room_record>>;

struct publish_cmd {
  std::string channel;
  std::string type;
  std::string data_json;
  std::string metadata_json = "{}";
  metadata_index metadata;
  std::string idempotency_key;
  std::string correlation_id;
  // When the event happened at its source (a database commit, CHANGE-CAPTURE.md), Unix ms; the
  // event's timestamp. 0: when the channel sequences it (every client publish).
  std::int64_t source_time_ms = 0;
};

struct publish_result {
  event_ptr ev;
  bool duplicate = false;
};

struct publish_item {
  publish_cmd cmd;
  publish_completion done;
};

/// One or more publishes for the directory, each with its completion.
struct publish_request {
  publish_items items;
  request_origin from = request_origin::client;
};

struct history_query {
  std::string channel;
  bool has_cursor = false;
  cursor after;            // return events with seq > after.seq
  std::uint32_t limit = 100;
};

/// A history read for the directory (and, passed on as is, the channel).
struct history_request {
  history_query query;
  history_completion done;
  request_origin from = request_origin::client;
};

struct history_page {
  std::vector<event_ptr> events;
  std::string next_cursor;
  bool has_more = false;
  bool recovered = true; // false: events between the cursor and the first returned are gone
};

struct sub_request {
  std::string topic;
  session_actor session;
  std::uint32_t sub_id = 0;
  event_filter_ptr filter; // null: every event
  bool has_since = false;
  cursor since;
};

struct sub_ack {
  std::uint32_t sub_id = 0;
  std::string topic;
  channel_actor channel; // who acked: a channel ...
  pattern_actor pattern; // ... or a wildcard pattern (no replay: patterns have no history)
  std::vector<event_ptr> replay; // delivered before any live event, in order
  bool snapshot = false;         // replay is the namespace snapshot (vs. resume replay)
  bool has_since = false;
  bool recovered = true;
  std::string cursor;            // cursor of the newest event at subscribe time
  std::optional<errc> error;     // set when the subscribe was refused (e.g. quota_exceeded)
  std::string error_message;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor& x) {
  return f(x.epoch, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, publish_cmd& x) {
  return f(x.channel, x.type, x.data_json, x.metadata_json, x.metadata, x.idempotency_key,
           x.correlation_id, x.source_time_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_query& x) {
  return f(x.channel, x.has_cursor, x.after, x.limit);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(x.channel, x.epoch, x.seq, x.timestamp_ms, x.type, x.data_json, x.metadata_json,
           x.metadata, x.idempotency_key, x.correlation_id);
}


} // namespace sy

// Process-local: these carry event_ptr (one allocation shared by every receiver), completions
// or compiled filters, none of which can cross nodes. Cluster messages (schema/cluster.hpp)
// carry the serializable `event` instead.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::event_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::publish_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::history_page)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::sub_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::sub_request) // carries a compiled filter
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::publish_items)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::publish_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::history_request)
