#pragma once
// Helpers of the history store tests: a temporary directory per test, events with every field
// set, and a RocksDB environment whose writes fail on demand (a full disk).
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "schema/event.hpp"

namespace sy::test_store {

/// A fresh directory under the system's temp dir, removed with everything in it.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "sy-store-XXXXXX";
    std::string tmpl = base.string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  /// A path inside it (not created).
  std::string sub(const std::string& name) const {
    return (path_ / name).string();
  }
  std::string path() const {
    return path_.string();
  }

private:
  std::filesystem::path path_;
};

/// An event with every field set to something that differs per seq.
inline event full_event(const std::string& channel, std::uint64_t seq, std::uint64_t epoch = 7) {
  event e;
  e.channel = channel;
  e.epoch = epoch;
  e.seq = seq;
  e.timestamp_ms = 1760000000000 + static_cast<std::int64_t>(seq);
  e.type = "order.created";
  e.data_json = R"({"n":)" + std::to_string(seq) + R"(,"s":"caf\u00e9 \u0000 ok"})";
  e.metadata_json = R"({"region":"eu","tier":)" + std::to_string(seq % 3) + "}";
  e.metadata = {{"region", "eu"}, {"tier", std::to_string(seq % 3)}};
  e.idempotency_key = "key-" + std::to_string(seq);
  e.correlation_id = "corr-" + std::to_string(seq);
  return e;
}

inline event_ptr shared(event e) {
  auto p = std::make_shared<encoded_event>();
  p->ev = std::move(e);
  return p;
}

inline void check_same(const event& a, const event& b) {
  CHECK(a.channel == b.channel);
  CHECK(a.epoch == b.epoch);
  CHECK(a.seq == b.seq);
  CHECK(a.timestamp_ms == b.timestamp_ms);
  CHECK(a.type == b.type);
  CHECK(a.data_json == b.data_json);
  CHECK(a.metadata_json == b.metadata_json);
  CHECK(a.metadata == b.metadata);
  CHECK(a.idempotency_key == b.idempotency_key);
  CHECK(a.correlation_id == b.correlation_id);
}

/// Writable files whose writes fail with NoSpace while `full` is set.
class full_disk_fs final : public rocksdb::FileSystemWrapper {
public:
  full_disk_fs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {
  }
  const char* Name() const override {
    return "full_disk_fs";
  }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok())
      *r = std::make_unique<file>(std::move(*r), full);
    return s;
  }
  std::shared_ptr<std::atomic<bool>> full = std::make_shared<std::atomic<bool>>(false);

private:
  class file final : public rocksdb::FSWritableFileOwnerWrapper {
  public:
    file(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::shared_ptr<std::atomic<bool>> full)
      : FSWritableFileOwnerWrapper(std::move(f)), full_(std::move(full)) {
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Append(d, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& d, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Append(d, o, v, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& d, uint64_t offset,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::PositionedAppend(d, offset, o, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      if (*full_)
        return rocksdb::IOStatus::NoSpace("injected: disk full");
      return FSWritableFileOwnerWrapper::Sync(o, dbg);
    }

  private:
    std::shared_ptr<std::atomic<bool>> full_;
  };
};

/// A RocksDB environment on `fs` (the store's options take an Env).
inline std::shared_ptr<rocksdb::Env> env_on(const std::shared_ptr<rocksdb::FileSystem>& fs) {
  return std::shared_ptr<rocksdb::Env>(rocksdb::NewCompositeEnv(fs).release());
}

} // namespace sy::test_store
