#pragma once
// Everything that crosses between Switchyard nodes (CAF remoting, the io middleman): plain,
// serializable types and the cluster actor's typed interface. Process-local messages keep
// their shared, unserializable forms (messages.hpp); these carry `event` by value instead.
// Every type here is registered on every node by register_cluster_types: CAF 0.17
// drops a message of an unregistered type silently (the receiver gets an empty message).
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "schema/event.hpp"
#include "schema/messages.hpp"

namespace sy {

using hello_atom = caf::atom_constant<caf::atom("hello")>;
using members_atom = caf::atom_constant<caf::atom("members")>;

/// A node as the others reach it.
struct member_info {
  std::string node_id;     // stable name, default "<host>:<cluster port>"
  std::string host;        // cluster (CAF) endpoint
  std::uint16_t port = 0;
};

/// One row of GET /v1/cluster.
struct member_status {
  member_info info;
  std::string state;        // "self", "up", "connecting", "down"
  std::int64_t since_ms = 0; // wall clock of the last state change
};

/// A publish answered by the owner node: the stored event travels by value.
struct wire_publish_result {
  event ev;
  bool duplicate = false;
};

/// The owner's history page for a read forwarded from another node.
struct wire_history_page {
  std::vector<event> events;
  std::string next_cursor;
  bool has_more = false;
  bool recovered = true;
};

using cluster_actor = caf::typed_actor<
  // a node introduces itself; the answer lists every member the callee knows (itself first)
  caf::replies_to<hello_atom, member_info>::with<std::vector<member_info>>,
  // GET /v1/cluster
  caf::replies_to<members_atom>::with<std::vector<member_status>>,
  // a publish forwarded to the owner of its channel
  caf::replies_to<publish_atom, publish_cmd>::with<wire_publish_result>,
  // a history read forwarded to the owner
  caf::replies_to<history_atom, history_query>::with<wire_history_page>,
  // a node's relay for a channel: send its events to `follower` from `after` on
  caf::reacts_to<follow_atom, std::string, cursor, bool, caf::actor, bool>,
  // a node that now owns a channel asks for its state (and takes the ownership over)
  caf::replies_to<fetch_atom, std::string, caf::actor>::with<follow_sync>,
  // the owner asks this node to keep a replica of a channel
  caf::reacts_to<replicate_atom, std::string>,
  // a wildcard pattern on another node (prefix, its pattern actor): send it matching bursts
  caf::reacts_to<attach_atom, std::string, caf::actor>,
  // reconnect attempts (self-sent)
  caf::reacts_to<retry_atom, std::string>,
  caf::reacts_to<tick_atom>>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(x.node_id, x.host, x.port);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(x.info, x.state, x.since_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_publish_result& x) {
  return f(x.ev, x.duplicate);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_history_page& x) {
  return f(x.events, x.next_cursor, x.has_more, x.recovered);
}

/// Registers every type and typed handle that crosses nodes, under stable names.
void register_cluster_types(caf::actor_system_config& cfg);

} // namespace sy
