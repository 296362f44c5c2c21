#include <catch2/catch.hpp>

#include "actors/history_store.hpp"

using namespace sy;

namespace {

event_ptr ev(std::uint64_t seq) {
  event e;
  e.channel = "h";
  e.seq = seq;
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
