// What a channel may cost: bytes per history page, what the idempotency window keeps.
#include "channel_fixture.hpp"

using namespace sy;
using namespace sy::test_channel;
using namespace std::chrono_literals;

namespace {

history_page read_page(fixture& f, history_query q) {
  history_page page;
  f.self->request(f.dir, 2s, history_atom::value, std::move(q))
    .receive([&](const history_page& p) { page = p; },
             [&](const caf::error& e) { FAIL(to_string(e)); });
  return page;
}

} // namespace

TEST_CASE_METHOD(fixture, "history pages stop at max_page_bytes and continue by cursor",
                 "[channel][history]") {
  cfg->history_max_page_bytes = 1024;
  start();
  std::string big = "\"" + std::string(300, 'x') + "\"";
  for (int i = 0; i < 7; ++i)
    publish("pages", big);
  publish("pages", "\"" + std::string(2000, 'y') + "\""); // larger than a page by itself
  history_query q;
  q.channel = "pages";
  q.limit = 100;
  std::vector<std::uint64_t> all;
  std::vector<std::size_t> sizes;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = read_page(*this, q);
    std::size_t bytes = 0;
    for (auto& e : page.events) {
      all.push_back(e->ev.seq);
      bytes += e->rest_json.size();
    }
    sizes.push_back(page.events.size());
    CHECK((page.events.size() == 1 || bytes <= cfg->history_max_page_bytes));
    if (!page.has_more)
      break;
    q.has_cursor = true;
    q.after = *parse_cursor(page.next_cursor);
  }
  CHECK(all == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(sizes.front() < 7); // the byte bound, not the count, ended the first page
  CHECK(sizes.back() == 1); // the oversized event came alone
}

TEST_CASE_METHOD(fixture, "a retry after its event left the history is answered from a receipt",
                 "[channel][idempotency]") {
  start();
  // "tiny." keeps 3 events
  auto first = publish("tiny.idem", R"({"big":")" + std::string(10000, 'z') + "\"}", "k-1");
  for (int i = 0; i < 3; ++i)
    publish("tiny.idem", std::to_string(i));
  // Only the test holds the event now: the window kept a receipt, not the event.
  CHECK(first.ev.use_count() == 1);
  auto retry = publish("tiny.idem", "1", "k-1");
  CHECK(retry.duplicate);
  CHECK(retry.ev->id == first.ev->id);
  CHECK(retry.ev->ev.seq == 1);
  CHECK(retry.ev->rest_json
        == R"({"channel":"tiny.idem","seq":1,"id":")" + first.ev->id + R"(","timestamp":")"
             + format_timestamp(first.ev->ev.timestamp_ms)
             + R"(","type":"message","idempotencyKey":"k-1"})");
  // Still in the history: the original event itself, as before.
  auto in_window = publish("tiny.idem", "5", "k-2");
  CHECK(publish("tiny.idem", "6", "k-2").ev == in_window.ev);
}
