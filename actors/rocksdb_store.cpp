#include "actors/rocksdb_store.hpp"

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <limits>

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/listener.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <spdlog/spdlog.h>

#include "actors/log_line.hpp"

#include "actors/store_codec.hpp"
#include "actors/wal_file_system.hpp"

namespace fs = std::filesystem;
namespace codec = sy::store_codec;

namespace sy {

namespace {

// WAL files grow by this many bytes of zeros at a time: one sync in this many bytes of WAL
// commits a size change (about 5,000 REST publishes of 100 bytes).
constexpr std::size_t wal_zero_step = std::size_t{1} << 20;

/// Drops receipts whose window has ended when RocksDB compacts their file, so expired keys
/// cost no delete of their own. Stateless (RocksDB calls it from its compaction threads).
class receipt_expiry_filter final : public rocksdb::CompactionFilter {
public:
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*,
              bool*) const override {
    if (key.empty() || key[0] != codec::receipt_tag)
      return false;
    std::int64_t expires_ms = 0;
    return codec::receipt_expiry(std::string_view(value.data(), value.size()), expires_ms)
           && expires_ms <= wall_clock_ms();
  }
  const char* Name() const override {
    return "switchyard.receipt_expiry";
  }
};

const receipt_expiry_filter receipt_filter;

/// Turns RocksDB's own recovery after a failed write off: commit() resumes the database before
/// the next batch instead. Left on, a recovery attempt made while the disk was still full
/// retried only seconds later, and every batch meanwhile failed with "Resource busy".
class manual_recovery final : public rocksdb::EventListener {
public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

/// RocksDB's diagnostics (warnings and errors only) go to the daemon's log, not to a LOG file
/// in storage.dir. That file lives on the same disk as the data: once a write to it failed
/// (the disk is full), the next message RocksDB logged, while flushing during the resume,
/// aborted the daemon in this build of RocksDB (an assertion in its file writer, which allows
/// no write after an error). Measured on a full 16 MiB tmpfs.
class spdlog_bridge final : public rocksdb::Logger {
public:
  spdlog_bridge() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel())
      return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap); // truncated beyond the buffer: one line
    // Rate-limited with the other store errors: a failing disk repeats itself.
    log_record(level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? spdlog::level::err
                                                           : spdlog::level::warn,
               "store.rocksdb", "rocksdb", {{"message", buf}});
  }
};

std::string_view view(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

/// A failed read or open, as a typed status naming the directory. RocksDB names the file
/// itself in most of its messages (a corrupt table, a bad MANIFEST).
store_status read_failure(const std::string& dir, const rocksdb::Status& s) {
  auto where = "storage.dir " + dir + ": ";
  if (s.IsCorruption())
    return store_status::fail(store_errc::corrupt, where + "corrupt store: " + s.ToString());
  if (s.IsNoSpace())
    return store_status::fail(store_errc::insufficient_storage, where + s.ToString());
  return store_status::fail(store_errc::io_error, where + s.ToString());
}

store_status corrupt_record(const std::string& dir, std::string_view what, std::string_view key) {
  return store_status::fail(store_errc::corrupt, "storage.dir " + dir + ": " + std::string(what)
                                                   + " " + std::string(key)
                                                   + " cannot be decoded");
}

} // namespace

struct rocksdb_store::impl {
  std::string dir;
  bool sync = true;
  std::shared_ptr<rocksdb::Env> base_env; // a test's environment, or null (outlives db)
  std::shared_ptr<rocksdb::Env> env;      // base_env's file system, WALs over zeros (outlives db)
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteBatch batch;
  std::size_t staged = 0;
  bool needs_resume = false; // the last write failed: RocksDB stops writes until Resume()
};

rocksdb_store::rocksdb_store(std::unique_ptr<impl> p) : impl_(std::move(p)) {
}

rocksdb_store::~rocksdb_store() {
  if (!impl_ || !impl_->db)
    return;
  // A clean close loses nothing even when writes skip the sync (storage.sync = none).
  if (!impl_->sync)
    impl_->db->FlushWAL(true).PermitUncheckedError();
  // The memtables go to table files now, so the next start does not replay the WAL: 2,000
  // channels of 1 KiB events took 0.78 s of a 0.9 s start to replay, 0.1 s after a flush.
  rocksdb::FlushOptions flush;
  flush.wait = true;
  impl_->db->Flush(flush).PermitUncheckedError();
  impl_->db->Close().PermitUncheckedError();
  impl_->db.reset();
}

const std::string& rocksdb_store::dir() const noexcept {
  return impl_->dir;
}

void rocksdb_store::stage_append(std::string_view channel, const store_channel_meta& meta,
                                 const std::vector<event_ptr>& events,
                                 const std::vector<store_receipt>& receipts) {
  auto& b = impl_->batch;
  std::string value;
  for (const auto& e : events) {
    value.clear();
    codec::append_event_value(value, e->ev);
    b.Put(codec::event_key(channel, e->ev.seq), value);
  }
  for (const auto& r : receipts)
    b.Put(codec::receipt_key(channel, r.key), codec::receipt_value(r));
  b.Put(codec::meta_key(channel), codec::meta_value(meta));
  ++impl_->staged;
}

void rocksdb_store::stage_trim(std::string_view channel, std::uint64_t through_seq) {
  auto end = through_seq == std::numeric_limits<std::uint64_t>::max()
               ? codec::prefix_end(codec::event_prefix(channel))
               : codec::event_key(channel, through_seq + 1);
  impl_->batch.DeleteRange(codec::event_key(channel, 0), end);
  ++impl_->staged;
}

void rocksdb_store::stage_drop(std::string_view channel) {
  auto& b = impl_->batch;
  auto events = codec::event_prefix(channel);
  b.DeleteRange(events, codec::prefix_end(events));
  auto receipts = codec::receipt_prefix(channel);
  b.DeleteRange(receipts, codec::prefix_end(receipts));
  b.Delete(codec::meta_key(channel));
  ++impl_->staged;
}

void rocksdb_store::stage_room(std::string_view room, const store_room& record) {
  impl_->batch.Put(codec::room_key(room), codec::room_value(record));
  ++impl_->staged;
}

std::size_t rocksdb_store::staged() const {
  return impl_->staged;
}

store_status rocksdb_store::commit() {
  auto& i = *impl_;
  if (i.staged == 0)
    return {};
  rocksdb::Status s;
  // After a failed write RocksDB refuses writes until it is resumed (the disk may have room
  // again); a resume that fails fails this batch the same way.
  if (i.needs_resume)
    s = i.db->Resume();
  if (s.ok()) {
    rocksdb::WriteOptions wo;
    wo.sync = i.sync;
    s = i.db->Write(wo, &i.batch);
  }
  i.batch.Clear();
  i.staged = 0;
  i.needs_resume = !s.ok();
  if (s.ok())
    return {};
  return store_status::fail(store_errc::insufficient_storage,
                            "storage.dir " + i.dir + ": write failed, nothing of it stored: "
                              + s.ToString());
}

store_expected<store_page> rocksdb_store::read(std::string_view channel, std::uint64_t after_seq,
                                               std::uint32_t limit,
                                               std::uint64_t max_bytes) const {
  store_page page;
  if (after_seq == std::numeric_limits<std::uint64_t>::max())
    return page;
  auto prefix = codec::event_prefix(channel);
  auto upper = codec::prefix_end(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro));
  std::uint64_t bytes = 0;
  for (it->Seek(codec::event_key(channel, after_seq + 1)); it->Valid(); it->Next()) {
    auto value = view(it->value());
    if (page.events.size() >= limit
        || (!page.events.empty() && bytes + value.size() > max_bytes)) {
      page.has_more = true;
      break;
    }
    event e;
    if (!codec::parse_event_value(value, channel, e)) {
      std::uint64_t seq = 0;
      codec::seq_of_event_key(view(it->key()), prefix.size(), seq);
      return corrupt_record(impl_->dir, "event", std::string(channel) + "#" + std::to_string(seq));
    }
    bytes += value.size();
    page.events.push_back(std::move(e));
  }
  if (!it->status().ok())
    return read_failure(impl_->dir, it->status());
  return page;
}

store_expected<store_channel_state> rocksdb_store::load(std::string_view channel,
                                                        std::int64_t now_ms) const {
  store_channel_state st;
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions{}, codec::meta_key(channel), &value);
  if (s.IsNotFound())
    return st;
  if (!s.ok())
    return read_failure(impl_->dir, s);
  if (!codec::parse_meta_value(value, st.meta))
    return corrupt_record(impl_->dir, "meta of channel", channel);
  st.found = true;
  for (auto tag : {codec::event_tag, codec::receipt_tag}) {
    auto prefix = tag == codec::event_tag ? codec::event_prefix(channel)
                                          : codec::receipt_prefix(channel);
    auto upper = codec::prefix_end(prefix);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      auto key = view(it->key());
      if (tag == codec::event_tag) { // only the first: where the history starts
        if (!codec::seq_of_event_key(key, prefix.size(), st.first_seq))
          return corrupt_record(impl_->dir, "event key of channel", channel);
        break;
      }
      store_receipt r;
      if (!codec::parse_receipt_value(view(it->value()), key.substr(prefix.size()), r))
        return corrupt_record(impl_->dir, "receipt of channel", channel);
      if (r.expires_ms > now_ms) // expired ones wait for compaction to drop them
        st.receipts.push_back(std::move(r));
    }
    if (!it->status().ok())
      return read_failure(impl_->dir, it->status());
  }
  return st;
}

store_expected<store_room> rocksdb_store::load_room(std::string_view room) const {
  store_room out;
  std::string value;
  auto s = impl_->db->Get(rocksdb::ReadOptions{}, codec::room_key(room), &value);
  if (s.IsNotFound())
    return out;
  if (!s.ok())
    return read_failure(impl_->dir, s);
  if (!codec::parse_room_value(value, out))
    return corrupt_record(impl_->dir, "room", room);
  return out;
}

store_status rocksdb_store::checkpoint(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec))
    return store_status::fail(store_errc::invalid_argument,
                              "checkpoint directory " + dir + " already exists");
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  if (s.ok())
    s = cp->CreateCheckpoint(dir);
  if (s.ok())
    return {};
  auto code = s.IsNoSpace() ? store_errc::insufficient_storage : store_errc::io_error;
  return store_status::fail(code, "checkpoint of " + impl_->dir + " into " + dir + ": "
                                    + s.ToString());
}

store_status rocksdb_store::compact() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  auto s = impl_->db->CompactRange(o, nullptr, nullptr);
  return s.ok() ? store_status{} : read_failure(impl_->dir, s);
}

store_expected<std::unique_ptr<rocksdb_store>> open_store(const std::string& dir,
                                                          const store_options& options) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return store_status::fail(store_errc::io_error,
                              "storage.dir " + dir + ": cannot create it: " + ec.message());
  auto p = std::make_unique<rocksdb_store::impl>();
  p->dir = dir;
  p->sync = options.sync;
  p->base_env = options.env;
  rocksdb::Options o;
  o.create_if_missing = true;
  o.compaction_filter = &receipt_filter;
  o.listeners.push_back(std::make_shared<manual_recovery>());
  // The memtables are part of storage.cache_bytes (two of write_buffer_bytes), not RocksDB's
  // fixed 2 x 64 MiB on top of it.
  o.write_buffer_size = std::max<std::size_t>(options.write_buffer_bytes, 1u << 20);
  o.max_write_buffer_number = 2;
  o.info_log = std::make_shared<spdlog_bridge>();
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  // WAL files are written over zeros (actors/wal_file_system.hpp): a group commit's sync then
  // flushes data only, without a journal commit for the file's growth.
  auto base_fs = p->base_env ? p->base_env->GetFileSystem() : rocksdb::FileSystem::Default();
  p->env = std::shared_ptr<rocksdb::Env>(
    rocksdb::NewCompositeEnv(wal_over_zeros(base_fs, wal_zero_step)).release());
  o.env = p->env.get();
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.cache_bytes);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, dir, &raw);
  if (!s.ok()) {
    // RocksDB reports a held LOCK file as a plain IOError; its text names the file.
    if (s.IsIOError() && s.ToString().find("/LOCK") != std::string::npos)
      return store_status::fail(store_errc::locked,
                                "storage.dir " + dir + " is in use: another Switchyard holds "
                                  + dir + "/LOCK (" + s.ToString() + ")");
    return read_failure(dir, s);
  }
  p->db.reset(raw);
  // The format marker: a new store gets it, an existing one must carry this build's.
  std::string marker;
  s = p->db->Get(rocksdb::ReadOptions{}, std::string(codec::format_key), &marker);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(p->db->NewIterator(rocksdb::ReadOptions{}));
    it->SeekToFirst();
    if (it->Valid())
      return store_status::fail(store_errc::corrupt, "storage.dir " + dir
                                                       + " holds a database that is not a "
                                                         "Switchyard store (no format marker)");
    rocksdb::WriteOptions wo;
    wo.sync = true;
    s = p->db->Put(wo, std::string(codec::format_key), std::string(codec::format_marker));
  } else if (s.ok() && marker != codec::format_marker) {
    return store_status::fail(store_errc::corrupt, "storage.dir " + dir + " holds format \""
                                                     + marker + "\", this build reads \""
                                                     + std::string(codec::format_marker)
                                                     + "\"");
  }
  if (!s.ok())
    return read_failure(dir, s);
  return std::unique_ptr<rocksdb_store>(new rocksdb_store(std::move(p)));
}

} // namespace sy
