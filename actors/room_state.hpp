#pragma once
// The room actor's state (actors/room.cpp).
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
#include "schema/store_messages.hpp"

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

  static inline const char* name = "room";
};

using room_ptr = room_actor::stateful_pointer<room_state>;

// -- room.cpp, used by room_store.cpp --

/// Offers the directory to retire the room when it holds nothing that would be lost.
void check_idle(room_ptr self);

// -- room_store.cpp --

/// Reads the room's stored record; work waits in `waiting` until it is in.
void start_loading(room_ptr self);
/// Runs `w` now, or queues it behind the load (and, if `mutating`, behind the write in
/// flight and the writes queued before it). A room whose load failed refuses it.
void when_ready(room_ptr self, bool mutating, room_state::waiting_work w);
/// Writes the room's record (version, state, metadata); calls `written` once it is on disk
/// or `failed` when it is not, then runs the work that waited for it.
void persist(room_ptr self, store_room record, std::function<void()> written,
             std::function<void(const std::string&)> failed);

} // namespace sy::room_impl
