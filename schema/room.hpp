#pragma once
// Rooms: the messages of the room actor (actors/room.hpp), declared once. A room R is the
// channel `room.R` (events, history, resume) plus what one room actor owns: the members
// (presence), the metadata (a JSON object set by backends) and the collaborative state (one JSON
// document with a version). Sessions and REST reach a room through the directory (join, reads,
// backend writes); a joined session then talks to its room actor directly (the handle in
// room_join_ack). PROTOCOL.md "Rooms" documents the frames.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schema/frame.hpp"
#include "schema/messages.hpp"
#include "schema/store_types.hpp"

namespace sy {

// The atoms (join, joined, leave, presence, patch, metadata, roomread, roomframe) are in
// schema/messages.hpp: the session and directory interfaces name them.

/// Room names: the channel is "room." + name, so a name is what makes that a channel name.
inline constexpr std::string_view room_channel_prefix = "room.";

inline std::string room_channel(std::string_view room) {
  return std::string(room_channel_prefix) + std::string(room);
}

inline bool valid_room_name(std::string_view room) {
  return !room.empty() && room.find('*') == std::string_view::npos
         && valid_channel_name(room_channel(room));
}

// -- across a cluster (schema/room_cluster.hpp has the payloads; CLUSTER.md "Rooms") --
using roomsnap_atom = caf::atom_constant<caf::atom("roomsnap")>;   // owner -> relay: the room
using roomchg_atom = caf::atom_constant<caf::atom("roomchg")>;     // owner -> relay: a change
using rjoin_atom = caf::atom_constant<caf::atom("rjoin")>;         // relay -> owner: join
using rjoined_atom = caf::atom_constant<caf::atom("rjoined")>;     // owner -> relay: its answer
using rleave_atom = caf::atom_constant<caf::atom("rleave")>;       // relay -> owner: member id
using rinfo_atom = caf::atom_constant<caf::atom("rinfo")>;         // relay -> owner: new info
using rpatch_atom = caf::atom_constant<caf::atom("rpatch")>;       // relay -> owner: a patch
using rvolatile_atom = caf::atom_constant<caf::atom("rvolatile")>; // relay -> owner
using rto_atom = caf::atom_constant<caf::atom("rto")>;             // owner -> relay: one member
using rbcast_atom = caf::atom_constant<caf::atom("rbcast")>;       // owner -> relay: all but one
using rcall_atom = caf::atom_constant<caf::atom("rcall")>;         // relay -> owner: REST write
using roomowner_atom = caf::atom_constant<caf::atom("roomowner")>; // directory: owner moved
using rrelink_atom = caf::atom_constant<caf::atom("rrelink")>;     // self: link unanswered
using rstate_atom = caf::atom_constant<caf::atom("rstate")>;       // owner -> relay: a patch
using roomreps_atom = caf::atom_constant<caf::atom("roomreps")>;   // directory: replica nodes

struct wire_room_change;
struct wire_room_snapshot;
struct wire_room_join;
struct wire_room_joined;
struct wire_room_call;
struct wire_room_result;

using room_actor = caf::typed_actor<
  caf::reacts_to<join_atom, room_join>,
  caf::reacts_to<leave_atom, caf::actor_addr>,              // the session's member leaves
  caf::reacts_to<presence_atom, caf::actor_addr, std::string>, // its new info (JSON object text)
  caf::reacts_to<patch_atom, room_patch>,
  caf::reacts_to<metadata_atom, room_metadata>,
  caf::reacts_to<roomread_atom, room_read>,
  caf::reacts_to<volatile_atom, room_volatile>,
  caf::reacts_to<flush_atom>,   // self: the presence window closed, send the batched diffs
  caf::reacts_to<retire_atom>,  // directory agreed to (roomidle): quit
  // -- across a cluster: owner <-> relays (member ids and encoded frame text by value) --
  caf::reacts_to<roomlink_atom, wire_room_link>,
  caf::reacts_to<roomsnap_atom, wire_room_snapshot>,
  caf::reacts_to<roomchg_atom, wire_room_change>,
  // a state change the owner waits for: the relay answers the version it holds after it
  caf::replies_to<rstate_atom, wire_room_change>::with<std::uint64_t>,
  caf::reacts_to<rjoin_atom, wire_room_join>,
  caf::reacts_to<rjoined_atom, wire_room_joined>,
  caf::reacts_to<rleave_atom, std::string>,
  caf::reacts_to<rinfo_atom, std::string, std::string>,
  caf::reacts_to<rpatch_atom, std::string, std::string, std::uint64_t>, // member, patch, version
  caf::reacts_to<rvolatile_atom, std::string, std::string, std::string>, // member, type, data
  caf::reacts_to<rto_atom, std::string, std::string>,    // member id, frame text
  caf::reacts_to<rbcast_atom, std::string, std::string>, // all members but this id, frame text
  caf::replies_to<rcall_atom, wire_room_call>::with<wire_room_result>,
  caf::reacts_to<roomowner_atom, cluster_actor, std::vector<std::string>>, // null: owned here
  // the replica nodes of room.R (other than this one), and without a store the record this
  // node keeps for the room as one of them (found false: none); sent before roomowner
  caf::reacts_to<roomreps_atom, std::vector<cluster_actor>, store_room>,
  caf::reacts_to<rrelink_atom, std::uint64_t>>;

/// A session asks to join `room` (through the directory, which spawns the room on demand).
struct room_join {
  std::string room;
  session_actor session;
  std::string user;      // the token's subject
  std::string info_json; // a JSON object, already parsed once by the codec
};

/// The room's answer to a join, sent in the turn that registers the member (so no presence,
/// state or metadata change can fall between the snapshot and the live frames after it).
struct room_join_ack {
  std::string room;
  room_actor handle;     // talk to the room directly from now on
  std::string member;    // this member's id in the room
  frame_ptr joined;      // the `joined` frame (members, metadata, state, version)
  std::optional<errc> error; // refused (room_full, info_too_large, quota_exceeded)
  std::string error_message;
};

/// What a REST call on a room gets: the JSON body, or the refusal with the room's version
/// (version_conflict carries the current one).
struct room_result {
  std::optional<errc> error;
  std::string error_message;
  std::string json;
  std::uint64_t version = 0;
};

using room_completion = std::shared_ptr<completion<room_result>>;

/// A JSON Merge Patch (RFC 7386) of the state, applied only when `version` is current.
/// From a member (`from` its session; answered by the broadcast or an error frame) or from
/// REST (`done` set; `from` null).
struct room_patch {
  std::string room;
  caf::actor_addr from;
  std::string patch_json; // a JSON object
  std::uint64_t version = 0;
  room_completion done;
  std::string from_member; // the owner of a clustered room: a member on another node, by id
};

/// PUT /v1/rooms/{R}/metadata: replaces the metadata.
struct room_metadata {
  std::string room;
  std::string metadata_json; // a JSON object
  room_completion done;
};

/// A member's {"op":"publish","volatile":true}: delivered to the other members now, never
/// stored or sequenced (cursors, typing indicators).
struct room_volatile {
  caf::actor_addr from;
  std::string type;
  std::string data_json;
};

/// GET /v1/rooms/{R}.
struct room_read {
  std::string room;
  room_completion done;
};

} // namespace sy

// Process-local: completions, shared frames and session handles never cross nodes (what does is
// in schema/room_cluster.hpp).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_join)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_join_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_patch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_metadata)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_read)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_volatile)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::room_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::frame_ptr)
