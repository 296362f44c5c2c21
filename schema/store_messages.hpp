#pragma once
// Messages of the history store actor (actors/history_store_actor.hpp): one per node, it owns
// the RocksDB database and answers each request once what it asked for is on disk
// (DURABILITY.md). Process-local: appends carry the channel's shared event_ptr, never a copy.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "schema/messages.hpp"
#include "schema/store_types.hpp"

namespace sy {

// -- atoms: one per request ----------------------------------------------------------------------

using st_append_atom = caf::atom_constant<caf::atom("st_append")>;
using st_trim_atom = caf::atom_constant<caf::atom("st_trim")>;
using st_drop_atom = caf::atom_constant<caf::atom("st_drop")>;
using st_read_atom = caf::atom_constant<caf::atom("st_read")>;
using st_load_atom = caf::atom_constant<caf::atom("st_load")>;
using st_ckpt_atom = caf::atom_constant<caf::atom("st_ckpt")>;
using st_stats_atom = caf::atom_constant<caf::atom("st_stats")>;
using st_room_atom = caf::atom_constant<caf::atom("st_room")>;     // write a room's record
using st_roomld_atom = caf::atom_constant<caf::atom("st_roomld")>; // read a room's record
using st_flush_atom = caf::atom_constant<caf::atom("st_flush")>; // self: write the batch

// -- requests and replies ------------------------------------------------------------------------

/// A channel's new events (consecutive seqs, oldest first), the idempotency receipts they
/// create and the channel's place after them. Answered with store_written once durable.
struct store_append {
  std::string channel;
  std::uint64_t epoch = 0;
  std::uint64_t next_seq = 1;
  std::vector<event_ptr> events;
  std::vector<store_receipt> receipts;
  // The channel's append generation: once an append of a generation failed, the store refuses
  // the later appends of that generation (0: not checked, e.g. events sequenced elsewhere).
  std::uint64_t generation = 0;
};

/// Deletes the channel's events with seq <= through_seq (history.size, TTL trimming).
struct store_trim {
  std::string channel;
  std::uint64_t through_seq = 0;
};

/// Deletes everything of a channel (events, receipts, meta): sent before the first append of
/// a new epoch, whose seqs start again at 1.
struct store_drop {
  std::string channel;
};

/// A room's whole record, replacing the stored one; staged into the same group commit as the
/// channels' appends. Answered with store_written once durable.
struct store_room_write {
  std::string room;
  store_room record;
};

/// Reads a room's record (its first use on this node).
struct store_room_load {
  std::string room;
};

/// Which write batch (group commit) stored a write, and how many writes it held.
struct store_written {
  std::uint64_t batch = 0;         // 1-based, counts the batches of this store actor
  std::uint32_t batch_writes = 0;  // appends, trims and drops written together
};

/// Stored events with seq > after_seq, oldest first, at most `limit` and stopping before
/// `max_bytes` of stored bytes (one larger event still makes a page of one).
struct store_read {
  std::string channel;
  std::uint64_t after_seq = 0;
  std::uint32_t limit = 100;
  std::uint64_t max_bytes = 1u << 20;
};

/// What a channel starting on this node needs: meta, first seq, unexpired receipts.
struct store_load {
  std::string channel;
  std::int64_t now_ms = 0; // receipts expiring at or before this are left out
};

/// An online consistent copy of the store into `dir` (must not exist).
struct store_checkpoint {
  std::string dir;
};

struct store_checkpointed {
  std::string dir;
};

struct store_stats {
  std::uint64_t batches = 0;        // batches written (failed ones included)
  std::uint64_t writes = 0;         // appends, trims and drops in them
  std::uint64_t failed_batches = 0; // answered insufficient_storage
  std::uint32_t max_batch_writes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_receipt& x) {
  return f(x.key, x.seq, x.timestamp_ms, x.type, x.correlation_id, x.expires_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_channel_meta& x) {
  return f(x.epoch, x.next_seq);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_channel_state& x) {
  return f(x.found, x.meta, x.first_seq, x.receipts);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_page& x) {
  return f(x.events, x.has_more);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_room& x) {
  return f(x.found, x.version, x.state_json, x.metadata_json, x.id_floor);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_room_write& x) {
  return f(x.room, x.record);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_room_load& x) {
  return f(x.room);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_trim& x) {
  return f(x.channel, x.through_seq);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_drop& x) {
  return f(x.channel);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_written& x) {
  return f(x.batch, x.batch_writes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_read& x) {
  return f(x.channel, x.after_seq, x.limit, x.max_bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_load& x) {
  return f(x.channel, x.now_ms);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_checkpoint& x) {
  return f(x.dir);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_checkpointed& x) {
  return f(x.dir);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_stats& x) {
  return f(x.batches, x.writes, x.failed_batches, x.max_batch_writes);
}

// -- errors --------------------------------------------------------------------------------------

/// The category of every error the store answers with; the code is a store_errc.
constexpr caf::atom_value store_error_category = caf::atom("store");

/// A store failure as a caf::error: the code and category say what, the context the message
/// (which names the directory or file).
inline caf::error make_store_error(const store_status& s) {
  return caf::error(static_cast<std::uint8_t>(s.code), store_error_category,
                    caf::make_message(s.message));
}

/// The store_errc of an error the store answered with; none for any other error.
inline store_errc store_error_code(const caf::error& e) {
  if (!e || e.category() != store_error_category)
    return store_errc::none;
  return static_cast<store_errc>(e.code());
}

/// The message of a store error ("" for other errors).
inline std::string store_error_text(const caf::error& e) {
  if (store_error_code(e) == store_errc::none || !e.context().match_elements<std::string>())
    return {};
  return e.context().get_as<std::string>(0);
}

// -- the actor -----------------------------------------------------------------------------------

using store_actor = caf::typed_actor<
  caf::replies_to<st_append_atom, store_append>::with<store_written>,
  caf::replies_to<st_trim_atom, store_trim>::with<store_written>,
  caf::replies_to<st_drop_atom, store_drop>::with<store_written>,
  caf::replies_to<st_read_atom, store_read>::with<store_page>,
  caf::replies_to<st_load_atom, store_load>::with<store_channel_state>,
  caf::replies_to<st_ckpt_atom, store_checkpoint>::with<store_checkpointed>,
  caf::replies_to<st_stats_atom>::with<store_stats>,
  caf::replies_to<st_room_atom, store_room_write>::with<store_written>,
  caf::replies_to<st_roomld_atom, store_room_load>::with<store_room>,
  caf::reacts_to<st_flush_atom>>;

} // namespace sy

// Carries event_ptr (one allocation shared with the channel's history): process-local.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::store_append)
