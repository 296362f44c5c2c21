#pragma once
// The room actor's state (actors/room.cpp).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/json/value.hpp>

#include "actors/room_presence.hpp"
#include "actors/room.hpp"
#include "metrics/hooks.hpp"

namespace sy::room_impl {

struct member {
  std::string id;
  std::string user;
  std::string info; // JSON object text
  std::int64_t joined_ms = 0;
  session_actor session;
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
  std::unordered_map<caf::actor_addr, std::uint64_t> by_session;
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

  static inline const char* name = "room";
};

using room_ptr = room_actor::stateful_pointer<room_state>;

} // namespace sy::room_impl
