// What a channel may cost: bytes per history page.
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
