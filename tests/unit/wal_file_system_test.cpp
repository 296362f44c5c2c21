// The store's WAL files are written over zeros (actors/wal_file_system.hpp): a commit inside
// the zeroed region leaves the file's size alone, and a crash image whose WAL ends in zeros, or
// in a torn record followed by zeros, opens with every committed event.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

#include "actors/rocksdb_store.hpp"
#include "store_fixture.hpp"

using namespace sy;
using namespace sy::test_store;
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t step = std::uintmax_t{1} << 20;

std::unique_ptr<rocksdb_store> open_ok(const std::string& dir) {
  store_options o;
  o.cache_bytes = 8u << 20;
  auto s = open_store(dir, o);
  INFO(s.error().message);
  REQUIRE(s);
  return std::move(*s);
}

void append_range(rocksdb_store& db, std::uint64_t from, std::uint64_t to) {
  std::vector<event_ptr> evs;
  for (auto seq = from; seq <= to; ++seq)
    evs.push_back(shared(full_event("c", seq)));
  db.stage_append("c", store_channel_meta{7, to + 1}, evs, {});
  auto s = db.commit();
  INFO(s.message);
  REQUIRE(s);
}

/// The one WAL file of a store directory.
fs::path wal_of(const std::string& dir) {
  std::vector<fs::path> logs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".log")
      logs.push_back(e.path());
  REQUIRE(logs.size() == 1);
  return logs.front();
}

/// Where the WAL's records end: after its last byte that is not zero.
std::uintmax_t records_end(const fs::path& wal) {
  std::ifstream in(wal, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto end = bytes.size();
  while (end > 0 && bytes[end - 1] == 0)
    --end;
  return end;
}

std::uint64_t stored_count(const std::string& dir) {
  auto db = open_ok(dir);
  auto page = db->read("c", 0, 100000, 1u << 30);
  REQUIRE(page);
  std::uint64_t expect = 1;
  for (const auto& e : page->events)
    if (e.seq == expect)
      ++expect;
  CHECK(expect - 1 == page->events.size()); // seqs 1..n, no gap
  return page->events.size();
}

/// What a kill -9 leaves of a store that committed events 1..200, 20 per commit: a copy
/// taken while it is open (the WAL not cut, zeros after its last record), in `tmp`/image.
std::string crash_image(const temp_dir& tmp) {
  auto live = tmp.sub("live");
  auto image = tmp.sub("image");
  auto db = open_ok(live);
  for (std::uint64_t seq = 1; seq <= 200; seq += 20)
    append_range(*db, seq, seq + 19);
  fs::copy(live, image, fs::copy_options::recursive);
  return image;
}

} // namespace

TEST_CASE("store WAL commits land on zeros written ahead and leave the file size alone",
          "[unit][store][wal]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path());
  append_range(*db, 1, 10);
  auto wal = wal_of(tmp.path());
  // Without the zeros the file would hold only the records: a few KiB.
  CHECK(fs::file_size(wal) == step);
  auto used = records_end(wal);
  CHECK(used > 0);
  CHECK(used < step);
  append_range(*db, 11, 20);
  CHECK(fs::file_size(wal) == step);
  CHECK(records_end(wal) > used);
  // Past the first step the file grows by one more.
  std::uint64_t seq = 21;
  while (records_end(wal) < step && seq < 20000) {
    append_range(*db, seq, seq + 99);
    seq += 100;
  }
  CHECK(records_end(wal) >= step);
  CHECK(fs::file_size(wal) == 2 * step);
}

TEST_CASE("a store image whose WAL ends in zeros opens with every committed event",
          "[unit][store][wal]") {
  temp_dir tmp;
  auto image = crash_image(tmp);
  auto wal = wal_of(image);
  REQUIRE(fs::file_size(wal) == step);
  REQUIRE(records_end(wal) < step);
  CHECK(stored_count(image) == 200);
}

TEST_CASE("a store image whose WAL ends in a torn record then zeros opens with every "
          "committed event",
          "[unit][store][wal]") {
  temp_dir tmp;
  auto image = crash_image(tmp);
  auto wal = wal_of(image);
  auto end = records_end(wal);
  {
    // A record header (checksum, length 100, type full) and part of its body: a write the
    // crash cut short, on the zeros.
    std::fstream f(wal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(end));
    const char torn[] = {'\x12', '\x34', '\x56', '\x78', 100, 0, 1, 'x', 'y', 'z'};
    f.write(torn, sizeof torn);
  }
  REQUIRE(records_end(wal) > end);
  CHECK(stored_count(image) == 200);
}
