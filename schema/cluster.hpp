#pragma once
// Everything that crosses between Switchyard nodes (CAF remoting, the io middleman): plain,
// serializable types; the cluster actor's typed interface is in messages.hpp with the others.
// Process-local messages keep their shared, unserializable forms (messages.hpp); these carry
// `event` by value instead, and typed handles (a remote handle is a proxy of the same type).
// Every type here is registered on every node by register_cluster_types: CAF 0.17
// drops a message of an unregistered type silently (the receiver gets an empty message).
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "schema/event.hpp"
#include "schema/messages.hpp"
#include "schema/store_messages.hpp" // store_receipt and its inspect

namespace sy {

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

/// The live cluster members as the cluster actor last saw them. `handles[i]` is the cluster
/// actor of `node_ids[i]`; `self` indexes this node. Empty `node_ids`: no cluster, every
/// channel is owned here.
struct cluster_view {
  std::vector<std::string> node_ids;
  std::vector<cluster_actor> handles;
  std::size_t self = 0;
  std::size_t replicas = 0; // history copies kept on the next nodes in hash order
};

/// A relay asks the owner for the channel's events after its position, and then its bursts.
struct follow_request {
  std::string channel;
  cursor after;           // the relay's position (its epoch and last seq) ...
  bool has_after = false; // ... if it holds any history
  channel_actor relay;    // where the owner sends follow_sync and the bursts
  bool replica = false;   // in a replica position: the owner waits for its acks
};

/// The owner's history for a relay: what it retains after the relay's position, and its head.
struct follow_sync {
  std::string channel;
  std::uint64_t epoch = 0;
  std::uint64_t head = 0;    // last sequence number sequenced by the owner
  std::vector<event> events; // retained events after the relay's position, oldest first
  bool recovered = true;     // false: the relay's position left the window (or older epoch)
  // Unexpired idempotency keys whose events are not in `events` (they left the history): sent
  // with a replica's sync from scratch and a fetch, so the keys outlive the owner.
  std::vector<store_receipt> receipts;
};

/// A node that now owns `channel` asks for its state; the holder follows `new_owner` after.
struct fetch_request {
  std::string channel;
  cluster_actor new_owner; // null: answer only
};

/// A wildcard pattern on another node, for the channels owned here that match `prefix`.
struct remote_pattern {
  std::string prefix;
  pattern_actor pattern;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(x.node_ids, x.handles, x.self, x.replicas);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_request& x) {
  return f(x.channel, x.after, x.has_after, x.relay, x.replica);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follow_sync& x) {
  return f(x.channel, x.epoch, x.head, x.events, x.recovered, x.receipts);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_request& x) {
  return f(x.channel, x.new_owner);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remote_pattern& x) {
  return f(x.prefix, x.pattern);
}

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
