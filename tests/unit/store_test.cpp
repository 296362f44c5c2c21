// The history store's format and database (actors/store_codec.hpp, actors/rocksdb_store.hpp),
// without actors: each case opens a store in a temporary directory of its own.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <limits>

#include <rocksdb/db.h>

#include "actors/rocksdb_store.hpp"
#include "actors/store_codec.hpp"
#include "store_fixture.hpp"

using namespace sy;
using namespace sy::test_store;
namespace codec = sy::store_codec;

namespace {

std::unique_ptr<rocksdb_store> open_ok(const std::string& dir, store_options o = {}) {
  o.cache_bytes = 8u << 20;
  auto s = open_store(dir, o);
  INFO(s.error().message);
  REQUIRE(s);
  return std::move(*s);
}

/// Appends events from..to (inclusive) of `ch` in one commit.
void append_range(rocksdb_store& db, const std::string& ch, std::uint64_t from, std::uint64_t to,
                  std::vector<store_receipt> receipts = {}) {
  std::vector<event_ptr> evs;
  for (auto seq = from; seq <= to; ++seq)
    evs.push_back(shared(full_event(ch, seq)));
  db.stage_append(ch, store_channel_meta{7, to + 1}, evs, receipts);
  auto s = db.commit();
  INFO(s.message);
  REQUIRE(s);
}

std::vector<std::uint64_t> seqs(const store_page& p) {
  std::vector<std::uint64_t> out;
  for (const auto& e : p.events)
    out.push_back(e.seq);
  return out;
}

store_receipt receipt(const std::string& key, std::uint64_t seq, std::int64_t expires_ms) {
  return store_receipt{key, seq, 1760000000000, "order.created", "corr-" + key, expires_ms};
}

} // namespace

TEST_CASE("the store codec round-trips every event field byte-exactly", "[unit][store]") {
  auto e = full_event("orders.eu", 1ull << 40);
  e.timestamp_ms = -5; // before 1970: zigzag keeps the sign
  e.epoch = std::numeric_limits<std::uint64_t>::max();
  std::string bytes;
  codec::append_event_value(bytes, e);
  event back;
  REQUIRE(codec::parse_event_value(bytes, "orders.eu", back));
  check_same(back, e);
  std::string again;
  codec::append_event_value(again, back);
  CHECK(again == bytes);

  event empty; // every optional field empty
  empty.channel = "c";
  bytes.clear();
  codec::append_event_value(bytes, empty);
  REQUIRE(codec::parse_event_value(bytes, "c", back));
  check_same(back, empty);
}

TEST_CASE("the store codec refuses truncated and garbled values", "[unit][store]") {
  std::string bytes;
  codec::append_event_value(bytes, full_event("c", 3));
  event out;
  for (std::size_t n = 0; n < bytes.size(); ++n)
    CHECK_FALSE(codec::parse_event_value(std::string_view(bytes).substr(0, n), "c", out));
  CHECK_FALSE(codec::parse_event_value(bytes + "x", "c", out)); // trailing bytes
  auto wrong_version = bytes;
  wrong_version[0] = 9;
  CHECK_FALSE(codec::parse_event_value(wrong_version, "c", out));
  // a metadata count far beyond the value's size is refused before anything is reserved
  std::string huge(1, 1);
  for (int i = 0; i < 3; ++i)
    huge.push_back(1);
  for (int i = 0; i < 3; ++i)
    huge.push_back(0);
  huge += std::string(9, '\xff') + '\x01';
  CHECK_FALSE(codec::parse_event_value(huge, "c", out));

  store_receipt r;
  auto rv = codec::receipt_value(receipt("k1", 4, 99));
  REQUIRE(codec::parse_receipt_value(rv, "k1", r));
  CHECK(r.seq == 4);
  CHECK(r.expires_ms == 99);
  CHECK(r.correlation_id == "corr-k1");
  CHECK_FALSE(codec::parse_receipt_value(rv.substr(0, rv.size() - 1), "k1", r));
  store_channel_meta m;
  REQUIRE(codec::parse_meta_value(codec::meta_value({3, 12}), m));
  CHECK(m.epoch == 3);
  CHECK(m.next_seq == 12);
  CHECK_FALSE(codec::parse_meta_value("\x01\x03", m));
}

TEST_CASE("store event keys sort by seq within a channel and never mix channels",
          "[unit][store]") {
  std::vector<std::uint64_t> order = {0, 1, 255, 256, 65536, 1ull << 40,
                                      std::numeric_limits<std::uint64_t>::max()};
  for (std::size_t i = 1; i < order.size(); ++i)
    CHECK(codec::event_key("a", order[i - 1]) < codec::event_key("a", order[i]));
  // every key of "a" sorts before the prefix of "a.b" and "a0": the NUL ends the name
  auto end_a = codec::prefix_end(codec::event_prefix("a"));
  CHECK(codec::event_key("a", order.back()) < end_a);
  CHECK(end_a <= codec::event_prefix("a.b"));
  CHECK(end_a <= codec::event_prefix("a0"));
  std::uint64_t seq = 0;
  REQUIRE(codec::seq_of_event_key(codec::event_key("a", 258), codec::event_prefix("a").size(),
                                  seq));
  CHECK(seq == 258);
}

TEST_CASE("a reopened store keeps events meta and receipts", "[unit][store]") {
  temp_dir tmp;
  auto far = wall_clock_ms() + 600000;
  {
    auto db = open_ok(tmp.path());
    append_range(*db, "orders", 1, 3, {receipt("k1", 1, far), receipt("k2", 2, far)});
    append_range(*db, "other", 1, 1);
  }
  auto db = open_ok(tmp.path());
  auto st = db->load("orders", wall_clock_ms());
  REQUIRE(st);
  CHECK(st->found);
  CHECK(st->meta.epoch == 7);
  CHECK(st->meta.next_seq == 4);
  CHECK(st->first_seq == 1);
  REQUIRE(st->receipts.size() == 2);
  CHECK(st->receipts[0].key == "k1");
  CHECK(st->receipts[1].seq == 2);
  CHECK(st->receipts[1].expires_ms == far);
  auto page = db->read("orders", 0, 100, 1u << 20);
  REQUIRE(page);
  REQUIRE(page->events.size() == 3);
  for (std::uint64_t i = 0; i < 3; ++i)
    check_same(page->events[i], full_event("orders", i + 1));
  auto none = db->load("never", 0);
  REQUIRE(none);
  CHECK_FALSE(none->found);
}

TEST_CASE("a second open of the same store dir fails naming the dir", "[unit][store]") {
  temp_dir tmp;
  auto first = open_ok(tmp.path());
  auto second = open_store(tmp.path(), {});
  REQUIRE_FALSE(second);
  CHECK(second.error().code == store_errc::locked);
  CHECK_THAT(second.error().message, Catch::Contains(tmp.path()));
  first.reset(); // released with the first store
  CHECK(open_store(tmp.path(), {}));
}

TEST_CASE("a store dir that cannot be a store fails to open with a typed error",
          "[unit][store]") {
  temp_dir tmp;
  SECTION("a corrupt CURRENT file names the file") {
    { open_ok(tmp.path()); }
    std::ofstream(tmp.sub("CURRENT"), std::ios::trunc) << "MANIFEST-999999\n";
    auto s = open_store(tmp.path(), {});
    REQUIRE_FALSE(s);
    INFO(s.error().message);
    CHECK((s.error().code == store_errc::corrupt || s.error().code == store_errc::io_error));
    CHECK_THAT(s.error().message, Catch::Contains(tmp.path()));
    CHECK_THAT(s.error().message, Catch::Contains("MANIFEST-999999"));
  }
  SECTION("a garbled MANIFEST is corrupt and named") {
    { append_range(*open_ok(tmp.path()), "c", 1, 3); }
    std::string manifest;
    for (const auto& entry : std::filesystem::directory_iterator(tmp.path()))
      if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0)
        manifest = entry.path().filename().string();
    REQUIRE_FALSE(manifest.empty());
    {
      std::fstream f(tmp.sub(manifest), std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(0);
      f << std::string(64, '\x5a'); // overwrite the first records' headers and checksums
    }
    auto s = open_store(tmp.path(), {});
    REQUIRE_FALSE(s);
    INFO(s.error().message);
    CHECK(s.error().code == store_errc::corrupt);
    CHECK_THAT(s.error().message, Catch::Contains(tmp.path()));
    CHECK_THAT(s.error().message, Catch::Contains(manifest));
  }
  SECTION("a database without the format marker is not taken for a store") {
    {
      rocksdb::Options o;
      o.create_if_missing = true;
      rocksdb::DB* raw = nullptr;
      REQUIRE(rocksdb::DB::Open(o, tmp.path(), &raw).ok());
      std::unique_ptr<rocksdb::DB> db(raw);
      REQUIRE(db->Put(rocksdb::WriteOptions{}, "x", "y").ok());
    }
    auto s = open_store(tmp.path(), {});
    REQUIRE_FALSE(s);
    CHECK(s.error().code == store_errc::corrupt);
    CHECK_THAT(s.error().message, Catch::Contains(tmp.path()));
  }
  SECTION("a regular file in place of the dir") {
    std::ofstream(tmp.sub("file")) << "x";
    auto s = open_store(tmp.sub("file"), {});
    REQUIRE_FALSE(s);
    CHECK(s.error().code == store_errc::io_error);
    CHECK_THAT(s.error().message, Catch::Contains(tmp.sub("file")));
  }
}

TEST_CASE("a store checkpoint opens as a copy with the same data", "[unit][store]") {
  temp_dir tmp;
  auto far = wall_clock_ms() + 600000;
  auto db = open_ok(tmp.sub("live"));
  append_range(*db, "orders", 1, 5, {receipt("k5", 5, far)});
  REQUIRE(db->checkpoint(tmp.sub("copy")));
  append_range(*db, "orders", 6, 6); // after the checkpoint: not in the copy
  auto again = db->checkpoint(tmp.sub("copy"));
  CHECK(again.code == store_errc::invalid_argument);
  CHECK_THAT(again.message, Catch::Contains(tmp.sub("copy")));

  auto copy = open_ok(tmp.sub("copy"));
  auto page = copy->read("orders", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  check_same(page->events[4], full_event("orders", 5));
  auto st = copy->load("orders", wall_clock_ms());
  REQUIRE(st);
  CHECK(st->meta.next_seq == 6);
  REQUIRE(st->receipts.size() == 1);
  CHECK(st->receipts[0].key == "k5");
}

TEST_CASE("store trim deletes a channel's events through a seq", "[unit][store]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path());
  append_range(*db, "a", 1, 10);
  append_range(*db, "a.b", 1, 3);
  db->stage_trim("a", 4);
  REQUIRE(db->commit());
  auto page = db->read("a", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{5, 6, 7, 8, 9, 10});
  auto st = db->load("a", 0);
  REQUIRE(st);
  CHECK(st->first_seq == 5);
  CHECK(st->meta.next_seq == 11); // trimming keeps the channel's place
  db->stage_trim("a", std::numeric_limits<std::uint64_t>::max());
  REQUIRE(db->commit());
  page = db->read("a", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.empty());
  page = db->read("a.b", 0, 100, 1u << 20); // the neighbour's range is untouched
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("store drop removes a channel's events receipts and meta", "[unit][store]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path());
  append_range(*db, "a", 1, 3, {receipt("k", 1, wall_clock_ms() + 600000)});
  append_range(*db, "ab", 1, 2);
  db->stage_drop("a");
  REQUIRE(db->commit());
  auto st = db->load("a", 0);
  REQUIRE(st);
  CHECK_FALSE(st->found);
  auto page = db->read("a", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.empty());
  page = db->read("ab", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.size() == 2);
}

TEST_CASE("store reads return events in order within limit and max_bytes", "[unit][store]") {
  temp_dir tmp;
  auto db = open_ok(tmp.path());
  append_range(*db, "c", 1, 20);
  append_range(*db, "c0", 1, 5); // a neighbour whose keys follow c's
  auto page = db->read("c", 3, 5, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{4, 5, 6, 7, 8});
  CHECK(page->has_more);
  page = db->read("c", 15, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{16, 17, 18, 19, 20});
  CHECK_FALSE(page->has_more);
  // max_bytes: the stored size of one event, times two and a half
  std::string one;
  codec::append_event_value(one, full_event("c", 10));
  page = db->read("c", 9, 100, one.size() * 5 / 2);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{10, 11});
  CHECK(page->has_more);
  page = db->read("c", 0, 100, 1); // a page of one, however small max_bytes is
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{1});
  page = db->read("c", 20, 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.empty());
  page = db->read("c", std::numeric_limits<std::uint64_t>::max(), 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.empty());
}

TEST_CASE("a store with sync none still persists across a clean close", "[unit][store]") {
  temp_dir tmp;
  store_options o;
  o.sync = false;
  {
    auto db = open_ok(tmp.path(), o);
    append_range(*db, "fast", 1, 50);
  }
  auto db = open_ok(tmp.path(), o);
  auto page = db->read("fast", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(page->events.size() == 50);
}

TEST_CASE("a failed store write stores nothing and reports insufficient_storage",
          "[unit][store]") {
  temp_dir tmp;
  auto fs = std::make_shared<full_disk_fs>();
  store_options o;
  o.env = env_on(fs);
  auto db = open_ok(tmp.path(), o);
  append_range(*db, "c", 1, 2);
  *fs->full = true;
  db->stage_append("c", {7, 4}, {shared(full_event("c", 3))}, {});
  auto s = db->commit();
  CHECK(s.code == store_errc::insufficient_storage);
  CHECK_THAT(s.message, Catch::Contains(tmp.path()));
  CHECK(db->staged() == 0);
  db->stage_trim("c", 1); // still full: the resume before it fails, so does the batch
  CHECK(db->commit().code == store_errc::insufficient_storage);
  auto page = db->read("c", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{1, 2});
  auto st = db->load("c", 0);
  REQUIRE(st);
  CHECK(st->meta.next_seq == 3);
  // Room again: the next batch resumes the database first and is stored.
  *fs->full = false;
  append_range(*db, "c", 3, 3);
  page = db->read("c", 0, 100, 1u << 20);
  REQUIRE(page);
  CHECK(seqs(*page) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("expired store receipts are not loaded and compaction drops them", "[unit][store]") {
  temp_dir tmp;
  auto now = wall_clock_ms();
  {
    auto db = open_ok(tmp.path());
    append_range(*db, "c", 1, 2, {receipt("old", 1, now - 1), receipt("new", 2, now + 600000)});
    auto st = db->load("c", now);
    REQUIRE(st);
    REQUIRE(st->receipts.size() == 1);
    CHECK(st->receipts[0].key == "new");
    REQUIRE(db->compact());
  }
  // what is on disk now: only the unexpired receipt's key
  rocksdb::DB* raw = nullptr;
  REQUIRE(rocksdb::DB::OpenForReadOnly(rocksdb::Options{}, tmp.path(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions{}));
  std::vector<std::string> receipt_keys;
  auto prefix = codec::receipt_prefix("c");
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next())
    receipt_keys.push_back(it->key().ToString().substr(prefix.size()));
  CHECK(receipt_keys == std::vector<std::string>{"new"});
}
