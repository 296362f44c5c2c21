#include "actors/wal_file_system.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <rocksdb/file_system.h>

namespace sy {

namespace {

bool is_wal(const std::string& name) {
  return name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0;
}

/// A WAL file: RocksDB appends, this writes at the logical end with positioned writes, over
/// zeros written `step` bytes ahead. The base file must write at a position (POSIX files do);
/// one that cannot fails the first write with NotSupported.
class zeroed_wal_file final : public rocksdb::FSWritableFileOwnerWrapper {
public:
  zeroed_wal_file(std::unique_ptr<rocksdb::FSWritableFile>&& f, std::size_t step)
    : FSWritableFileOwnerWrapper(std::move(f)), step_(step) {
  }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = zeros_for(data.size(), o, dbg); !s.ok())
      return s;
    auto s = target()->PositionedAppend(data, size_, o, dbg);
    if (s.ok())
      size_ += data.size();
    return s;
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo&,
                           rocksdb::IODebugContext* dbg) override {
    return Append(data, o, dbg);
  }
  uint64_t GetFileSize(const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
    return size_;
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
    auto s = target()->Truncate(size, o, dbg);
    if (s.ok()) {
      size_ = size;
      zeroed_ = std::min<uint64_t>(zeroed_, size);
    }
    return s;
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
    if (zeroed_ > size_) // a clean close leaves no zeros behind
      target()->Truncate(size_, o, dbg).PermitUncheckedError();
    return target()->Close(o, dbg);
  }
  // The zeros are the allocation: no fallocate, which would only reserve blocks whose first
  // write still commits to the journal.
  void PrepareWrite(size_t, size_t, const rocksdb::IOOptions&, rocksdb::IODebugContext*) override {
  }
  rocksdb::IOStatus Allocate(uint64_t, uint64_t, const rocksdb::IOOptions&,
                             rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::OK();
  }

private:
  // Writes zeros past the end until `more` bytes from the logical end fit on them.
  rocksdb::IOStatus zeros_for(std::size_t more, const rocksdb::IOOptions& o,
                              rocksdb::IODebugContext* dbg) {
    if (size_ + more <= zeroed_)
      return rocksdb::IOStatus::OK();
    auto want = (size_ + more + step_ - 1) / step_ * step_;
    static const std::vector<char> zeros(std::size_t{1} << 20, 0);
    while (zeroed_ < want) {
      auto n = static_cast<std::size_t>(std::min<uint64_t>(want - zeroed_, zeros.size()));
      auto s = target()->PositionedAppend(rocksdb::Slice(zeros.data(), n), zeroed_, o, dbg);
      if (!s.ok()) // e.g. no space for the zeros: the data goes at the end, as without them
        return zeroed_ > size_ ? rocksdb::IOStatus::OK() : s;
      zeroed_ += n;
    }
    return rocksdb::IOStatus::OK();
  }

  std::size_t step_;
  uint64_t size_ = 0;   // the WAL's bytes: where RocksDB's next append goes
  uint64_t zeroed_ = 0; // bytes on disk (the WAL's, then zeros)
};

class wal_fs final : public rocksdb::FileSystemWrapper {
public:
  wal_fs(std::shared_ptr<rocksdb::FileSystem> base, std::size_t step)
    : FileSystemWrapper(std::move(base)), step_(step) {
  }
  const char* Name() const override {
    return "switchyard_wal_over_zeros";
  }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(f, o, r, dbg);
    if (s.ok() && is_wal(f))
      *r = std::make_unique<zeroed_wal_file>(std::move(*r), step_);
    return s;
  }

private:
  std::size_t step_;
};

} // namespace

std::shared_ptr<rocksdb::FileSystem> wal_over_zeros(std::shared_ptr<rocksdb::FileSystem> base,
                                                    std::size_t zero_step) {
  if (zero_step == 0)
    return base;
  return std::make_shared<wal_fs>(std::move(base), zero_step);
}

} // namespace sy
