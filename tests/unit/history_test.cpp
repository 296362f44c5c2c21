#include <algorithm>

#include <catch2/catch.hpp>

#include "actors/byte_budget.hpp"
#include "actors/history_store.hpp"

using namespace sy;

namespace {

event_ptr ev(std::uint64_t seq, std::int64_t ts = 0) {
  event e;
  e.channel = "h";
  e.seq = seq;
  e.timestamp_ms = ts;
  e.data_json = "null";
  e.metadata_json = "{}";
  return std::make_shared<const encoded_event>(encode_event(std::move(e)));
}

std::vector<std::uint64_t> seqs(const std::vector<event_ptr>& v) {
  std::vector<std::uint64_t> out;
  for (auto& e : v)
    out.push_back(e->ev.seq);
  return out;
}

} // namespace

TEST_CASE("memory history keeps the newest events in a bounded ring", "[history]") {
  auto h = make_memory_history(3);
  CHECK(h->size() == 0);
  CHECK(h->first_seq() == 0);
  CHECK(h->read_after(0, 10).empty());
  for (std::uint64_t s = 1; s <= 5; ++s)
    h->append(ev(s));
  CHECK(h->size() == 3);
  CHECK(h->first_seq() == 3);
  CHECK(h->last_seq() == 5);
  CHECK(seqs(h->read_after(0, 10)) == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(seqs(h->read_after(3, 10)) == std::vector<std::uint64_t>{4, 5});
  CHECK(seqs(h->read_after(3, 1)) == std::vector<std::uint64_t>{4});
  CHECK(h->read_after(5, 10).empty());
  CHECK(seqs(h->last(2)) == std::vector<std::uint64_t>{4, 5});
  CHECK(seqs(h->last(9)) == std::vector<std::uint64_t>{3, 4, 5});
}

TEST_CASE("history cursors page through in order", "[history]") {
  auto h = make_memory_history(100);
  for (std::uint64_t s = 1; s <= 10; ++s)
    h->append(ev(s));
  std::vector<std::uint64_t> all;
  std::uint64_t after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = h->read_after(after, 4);
    if (page.empty())
      break;
    auto s = seqs(page);
    all.insert(all.end(), s.begin(), s.end());
    after = s.back();
  }
  CHECK(all == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

TEST_CASE("rings sharing a node byte bound drop their own oldest events when over it",
          "[history]") {
  auto node = std::make_shared<byte_budget>(3 * event_footprint(*ev(1)) + 10);
  auto quiet = make_memory_history(100, node);
  auto busy = make_memory_history(100, node);
  quiet->append(ev(1));
  quiet->append(ev(2));
  CHECK(node->used() == quiet->bytes());
  for (std::uint64_t s = 1; s <= 5; ++s)
    busy->append(ev(s));
  // The busy ring gave back its own oldest; the quiet one keeps its events.
  CHECK(quiet->size() == 2);
  CHECK(busy->size() == 1);
  CHECK(busy->first_seq() == 5);
  CHECK(node->used() == quiet->bytes() + busy->bytes());
  CHECK_FALSE(node->over());
  // A ring over the bound on its own still keeps its newest event.
  for (std::uint64_t s = 3; s <= 8; ++s)
    quiet->append(ev(s));
  CHECK(quiet->size() >= 1);
  CHECK(quiet->last_seq() == 8);
  quiet.reset();
  busy.reset();
  CHECK(node->used() == 0); // a retired channel gives its bytes back
}

TEST_CASE("memory history expires events older than the cutoff from its front", "[history][ttl]") {
  auto h = make_memory_history(4);
  CHECK(h->expire_before(1000) == 0); // empty
  for (std::uint64_t s = 1; s <= 6; ++s) // the ring holds 3..6 stamped 300..600
    h->append(ev(s, static_cast<std::int64_t>(s) * 100));
  CHECK(h->expire_before(300) == 0); // strictly older only
  CHECK(h->expire_before(450) == 4);
  CHECK(h->size() == 2);
  CHECK(h->first_seq() == 5);
  CHECK(seqs(h->read_after(0, 10)) == std::vector<std::uint64_t>{5, 6});
  CHECK(seqs(h->read_after(5, 10)) == std::vector<std::uint64_t>{6});
  CHECK(seqs(h->last(9)) == std::vector<std::uint64_t>{5, 6});
  // The ring fills to its capacity again after expiring, across the wrap.
  for (std::uint64_t s = 7; s <= 11; ++s)
    h->append(ev(s, static_cast<std::int64_t>(s) * 100));
  CHECK(seqs(h->read_after(0, 10)) == std::vector<std::uint64_t>{8, 9, 10, 11});
  CHECK(h->expire_before(2000) == 11);
  CHECK(h->size() == 0);
  CHECK(h->bytes() == 0); // expired events leave the byte count too
  CHECK(h->first_seq() == 0);
  CHECK(h->last_seq() == 0);
  CHECK(h->read_after(0, 10).empty());
  h->append(ev(12, 1200));
  CHECK(seqs(h->read_after(0, 10)) == std::vector<std::uint64_t>{12});
}

TEST_CASE("memory history expires and refills repeatedly", "[history][ttl]") {
  auto h = make_memory_history(8);
  std::uint64_t seq = 0;
  std::uint64_t first = 1;
  // Append three, expire two, repeatedly: the ring wraps before it reaches its capacity.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 3; ++i) {
      ++seq;
      h->append(ev(seq, static_cast<std::int64_t>(seq)));
    }
    first = std::max(first, seq > 8 ? seq - 7 : 1);
    CHECK(h->first_seq() == first);
    CHECK(h->last_seq() == seq);
    auto all = seqs(h->read_after(0, 100));
    REQUIRE(all.size() == seq - first + 1);
    for (std::size_t i = 0; i < all.size(); ++i)
      CHECK(all[i] == first + i);
    CHECK(h->expire_before(static_cast<std::int64_t>(first + 2)) == first + 1);
    first += 2;
  }
}
