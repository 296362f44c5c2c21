#pragma once
// The history store's database: one embedded RocksDB in storage.dir (DURABILITY.md "Data
// directory layout"). No CAF: the store actor (actors/history_store_actor.hpp) owns one and
// calls it from its own thread only; every call here may block on the disk.
//
// Writes are staged and written together by commit(): one WriteBatch and, with `sync`, one WAL
// fsync for everything staged. Measured here: one synced put per write reaches 2.4k writes/s,
// ten per batch 20k/s, fifty 76k/s; the fsync, not the data, is the cost.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "schema/event.hpp"
#include "schema/store_types.hpp"

namespace rocksdb {
class Env;
}

namespace sy {

struct store_options {
  bool sync = true;                       // storage.sync: batch (true) or none (false)
  std::size_t cache_bytes = 256u << 20;   // RocksDB's block cache (a share of storage.cache_bytes)
  std::size_t write_buffer_bytes = 16u << 20; // each of the two memtables (another share)
  // Null: the default environment. Tests pass one whose writes fail, to check that nothing
  // is acknowledged that is not stored.
  std::shared_ptr<rocksdb::Env> env;
};

class rocksdb_store {
public:
  ~rocksdb_store(); // a clean close: syncs the WAL even with sync = false
  rocksdb_store(const rocksdb_store&) = delete;
  rocksdb_store& operator=(const rocksdb_store&) = delete;

  // -- writes: staged in order, stored by commit() --

  /// A channel's new events (seq order) and receipts, and its place after them.
  void stage_append(std::string_view channel, const store_channel_meta& meta,
                    const std::vector<event_ptr>& events,
                    const std::vector<store_receipt>& receipts);
  /// Deletes the channel's events with seq <= through_seq (history.size, TTL).
  void stage_trim(std::string_view channel, std::uint64_t through_seq);
  /// Deletes everything of the channel: events, receipts, meta (a new epoch starts clean).
  void stage_drop(std::string_view channel);
  /// A room's whole record (version, state, metadata), replacing the stored one.
  void stage_room(std::string_view room, const store_room& record);
  /// Operations staged since the last commit.
  std::size_t staged() const;
  /// Writes everything staged as one batch (one WAL sync with `sync`). On failure nothing of
  /// it is stored and the status is insufficient_storage; the stage is empty either way.
  store_status commit();

  // -- reads --

  /// Events with seq > after_seq, oldest first: at most `limit`, and they stop before
  /// `max_bytes` of stored values (a larger first event still makes a page of one).
  store_expected<store_page> read(std::string_view channel, std::uint64_t after_seq,
                                  std::uint32_t limit, std::uint64_t max_bytes) const;
  /// The channel's meta, first stored seq and the receipts that expire after now_ms.
  store_expected<store_channel_state> load(std::string_view channel, std::int64_t now_ms) const;

  /// A room's record; `found` false when none is stored.
  store_expected<store_room> load_room(std::string_view room) const;

  // -- maintenance --

  /// An online, consistent copy in `dir` (which must not exist): hard links to the table
  /// files plus the WAL. Opening the copy restores it.
  store_status checkpoint(const std::string& dir);
  /// Compacts everything now; expired receipts leave the files (they also leave on their own
  /// when RocksDB compacts them).
  store_status compact();

  const std::string& dir() const noexcept;

private:
  friend store_expected<std::unique_ptr<rocksdb_store>> open_store(const std::string&,
                                                                   const store_options&);
  struct impl;
  explicit rocksdb_store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// Opens (creating if missing) the store in `dir`. Errors name the directory: locked (another
/// process, or another open store in this one, holds its LOCK file), corrupt (a file or the
/// format marker cannot be read as a Switchyard store), io_error (cannot create or read it).
store_expected<std::unique_ptr<rocksdb_store>> open_store(const std::string& dir,
                                                          const store_options& options);

} // namespace sy
