// What a channel may cost: quota slots taken by subscriptions alone, bytes per history page,
// what the idempotency window keeps.
#include "channel_fixture.hpp"

#include <thread>

using namespace sy;
using namespace sy::test_channel;
using namespace std::chrono_literals;

namespace {

history_page read_page(fixture& f, history_query q) {
  auto page = f.try_history(std::move(q));
  if (!page)
    FAIL(to_string(page.error()));
  return *page;
}

} // namespace

TEST_CASE_METHOD(fixture, "subscribe churn of new names does not take the slots of publishers",
                 "[channel][quota]") {
  cfg->max_channels = 5;
  start();
  // A subscriber-only client subscribes to new names and leaves, far more than max_channels.
  for (std::uint32_t i = 0; i < 40; ++i) {
    auto p = subscribe("churn." + std::to_string(i), i);
    auto ack = expect_ack();
    CHECK_FALSE(ack.error);
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  // Publishes to new channels are never refused because of subscriptions.
  for (int i = 0; i < 5; ++i)
    CHECK(publish("fresh." + std::to_string(i), "1").ev->ev.seq == 1);
  // Channels holding events are what quota.max_channels counts.
  bool refused = false;
  publish_cmd cmd;
  cmd.channel = "fresh.6";
  cmd.data_json = "1";
  refused = !try_publish(std::move(cmd));
  CHECK(refused);
}

TEST_CASE_METHOD(fixture, "subscription-only channels and patterns have their own budget",
                 "[channel][quota]") {
  cfg->max_channels = 3;
  cfg->max_empty_channels = 2;
  cfg->channel_empty_idle_ms = 20;
  start();
  auto a = subscribe("only.a", 1);
  CHECK_FALSE(expect_ack().error);
  auto b = subscribe("only.b*", 2); // a wildcard pattern counts in the same budget
  CHECK_FALSE(expect_ack().error);
  auto c = subscribe("only.c", 3);
  auto refused = expect_ack();
  REQUIRE(refused.error);
  CHECK(wire_code(*refused.error) == "quota_exceeded");
  CHECK(refused.error_message.find("quota.max_empty_channels") != std::string::npos);
  // Publishers keep their own budget, and a published channel takes anybody's subscription.
  publish("pub.1", "1");
  auto d = subscribe("pub.1", 4);
  CHECK_FALSE(expect_ack().error);
  // A publish moves a subscription-only channel to quota.max_channels, freeing its slot.
  publish("only.a", "1");
  auto e = subscribe("only.e", 5);
  CHECK_FALSE(expect_ack().error);
  for (auto& p : {a, b, c, d, e})
    caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a channel that never held an event retires soon after its last subscriber",
                 "[channel][quota]") {
  cfg->channel_empty_idle_ms = 20;
  start();
  auto p = subscribe("ghost", 1);
  auto first = expect_ack();
  caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  // A re-created channel is a new incarnation (another epoch in its cursor).
  std::string again;
  for (int i = 0; i < 100 && (again.empty() || again == first.cursor); ++i) {
    std::this_thread::sleep_for(20ms);
    auto q = subscribe("ghost", 2);
    again = expect_ack().cursor;
    caf::anon_send_exit(q, caf::exit_reason::user_shutdown);
  }
  CHECK(again != first.cursor);
  // A channel that held an event stays for channel.idle_ms.
  auto held = publish("kept", "1");
  auto s = subscribe("kept", 3);
  expect_ack();
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  std::this_thread::sleep_for(200ms);
  CHECK(publish("kept", "2").ev->ev.epoch == held.ev->ev.epoch);
}

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
