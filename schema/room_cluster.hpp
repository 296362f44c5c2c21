#pragma once
// Rooms across a cluster (CLUSTER.md "Rooms"): what crosses between the owner room of R (on
// the owner node of channel room.R) and the relay rooms of R on the other nodes. The owner
// sequences every change; each relay mirrors the room from the owner's snapshot and the changes
// after it (CAF keeps per-sender order), and serves its local members from the mirror. Every
// type here is registered on every node (register_room_cluster_types).
#include <cstdint>
#include <string>
#include <vector>

#include "schema/room.hpp"

namespace sy {

/// One change of a room as its owner sequenced it, sent to every relay in order.
struct wire_room_change {
  enum kind : std::uint8_t { join = 0, leave = 1, update = 2, state = 3, metadata = 4, ids = 5 };
  std::uint8_t what = join;
  // join: the member's place in the list (the owner's join number); ids: the new id floor (the
  // owner gives member ids below it only)
  std::uint64_t n = 0;
  std::string member;         // join, leave, update; state: the patch's sender ("" for REST)
  std::string user;           // join
  std::string info;           // join, update
  std::int64_t joined_ms = 0; // join
  std::string node;           // join: the node whose connection the member is
  std::uint64_t version = 0;  // state: the version after the patch
  std::string text;           // state: the patch; metadata: the metadata
  std::string state_text;     // state: the whole state after the patch
};

/// The owner's whole room, the first thing a relay gets after it links: its mirror starts here.
struct wire_room_snapshot {
  std::string room;
  room_actor owner;
  std::vector<wire_room_change> members; // joins, in list order
  std::uint64_t version = 0;
  std::string state_text = "{}";
  std::string metadata_text = "{}";
  std::uint64_t id_floor = 0; // member ids below it may have been given out
};

/// A relay room links to the owner (through the owner node's cluster actor and directory). After
/// an owner change it carries its local members, which the new owner keeps (same ids), and its
/// mirror of the state, of which the new owner adopts the most advanced.
struct wire_room_link {
  std::string room;
  std::string node;
  room_actor relay;
  std::vector<wire_room_change> members; // its local members (joins)
  std::uint64_t version = 0;
  std::string state_text = "{}";
  std::string metadata_text = "{}";
  std::uint64_t id_floor = 0; // the owner's floor as the relay mirrored it
};

/// The owner's room record (what the store keeps of a room), sent to each replica node of
/// room.R, which stores it (or keeps it in memory without a store) before answering: the owner
/// acknowledges a patch, a metadata change or a block of member ids only after that, so the
/// next owner -- the first replica in the ranking -- starts from it.
struct wire_room_record {
  std::string room;
  std::uint64_t version = 0;
  std::string state_text = "{}";
  std::string metadata_text = "{}";
  std::uint64_t id_floor = 0;
};

/// A relay's local session asks to join; answered with wire_room_joined after the join's change.
struct wire_room_join {
  std::uint64_t token = 0; // the relay's number for the waiting session
  std::string node;
  std::string user;
  std::string info;
};

struct wire_room_joined {
  std::uint64_t token = 0;
  std::string member;     // empty when refused
  std::uint8_t error = 0; // an errc, 0 none
  std::string message;
};

/// A REST patch (kind 0) or metadata (kind 1) that reached a relay node, served by the owner.
struct wire_room_call {
  std::uint8_t kind = 0;
  std::string json;
  std::uint64_t version = 0;
};

struct wire_room_result {
  std::uint8_t error = 0; // an errc, 0 none
  std::string message;
  std::string json;
  std::uint64_t version = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_change& x) {
  return f(x.what, x.n, x.member, x.user, x.info, x.joined_ms, x.node, x.version, x.text,
           x.state_text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_snapshot& x) {
  return f(x.room, x.owner, x.members, x.version, x.state_text, x.metadata_text, x.id_floor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_link& x) {
  return f(x.room, x.node, x.relay, x.members, x.version, x.state_text, x.metadata_text,
           x.id_floor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_record& x) {
  return f(x.room, x.version, x.state_text, x.metadata_text, x.id_floor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_join& x) {
  return f(x.token, x.node, x.user, x.info);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_joined& x) {
  return f(x.token, x.member, x.error, x.message);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_call& x) {
  return f(x.kind, x.json, x.version);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_room_result& x) {
  return f(x.error, x.message, x.json, x.version);
}

/// Registers the types above and the room actor's handle (schema/cluster.cpp calls it).
inline void register_room_cluster_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<wire_room_change>("sy::wire_room_change");
  cfg.add_message_type<std::vector<wire_room_change>>("std::vector<sy::wire_room_change>");
  cfg.add_message_type<wire_room_snapshot>("sy::wire_room_snapshot");
  cfg.add_message_type<wire_room_link>("sy::wire_room_link");
  cfg.add_message_type<wire_room_record>("sy::wire_room_record");
  cfg.add_message_type<wire_room_join>("sy::wire_room_join");
  cfg.add_message_type<wire_room_joined>("sy::wire_room_joined");
  cfg.add_message_type<wire_room_call>("sy::wire_room_call");
  cfg.add_message_type<wire_room_result>("sy::wire_room_result");
  cfg.add_message_type<room_actor>("sy::room_actor");
}

} // namespace sy
