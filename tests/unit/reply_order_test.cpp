// The per-connection reply order: replies leave in command order, events of a subscription
// after its confirmation, and a lost confirmation stops holding the others after a while.
#include <catch2/catch.hpp>

#include "actors/reply_order.hpp"

using namespace sy;

namespace {

outgoing text(const char* s) {
  outgoing o;
  o.frame = make_frame(s);
  return o;
}

std::vector<std::string> texts(std::vector<outgoing> v) {
  std::vector<std::string> out;
  for (const auto& o : v)
    out.push_back(o.close_code ? "close " + std::to_string(o.close_code)
                  : o.batch    ? "batch"
                               : *o.frame);
  return out;
}

} // namespace

TEST_CASE("reply_order: a refusal waits behind earlier confirmations", "[reply_order]") {
  reply_order q;
  CHECK(q.empty());
  auto a = q.reserve(0);
  auto b = q.reserve(0);
  q.push(text("refused c"), 9);
  CHECK(q.take_ready().empty());
  // b's ack comes first: still held behind a
  REQUIRE(q.add(b, text("subscribed b"), 12));
  q.complete(b);
  CHECK(q.take_ready().empty());
  CHECK(q.held_bytes() == 21);
  REQUIRE(q.add(a, text("subscribed a"), 12));
  q.complete(a);
  CHECK(texts(q.take_ready())
        == std::vector<std::string>{"subscribed a", "subscribed b", "refused c"});
  CHECK(q.empty());
  CHECK(q.held_bytes() == 0);
  // gone: the caller writes directly
  auto late = text("late");
  CHECK_FALSE(q.add(a, std::move(late), 4));
  CHECK(late.frame); // left alone
}

TEST_CASE("reply_order: live events of a held subscription follow its confirmation",
          "[reply_order]") {
  reply_order q;
  auto a = q.reserve(0);
  auto b = q.reserve(0);
  REQUIRE(q.add(b, text("subscribed b"), 1));
  q.complete(b);
  outgoing ev;
  ev.batch = std::make_shared<const std::vector<event_ptr>>();
  REQUIRE(q.add(b, std::move(ev), 1)); // b's first event, while a is still pending
  outgoing close;
  close.close_code = 4008;
  q.push(std::move(close), 0);
  q.complete(a); // a was cancelled: an empty place
  CHECK(texts(q.take_ready()) == std::vector<std::string>{"subscribed b", "batch", "close 4008"});
}

TEST_CASE("reply_order: a confirmation that never comes is given up after the wait",
          "[reply_order]") {
  reply_order q;
  auto lost = q.reserve(1000);
  q.push(text("pong"), 4);
  q.give_up_before(1500, 1000);
  CHECK(q.take_ready().empty());
  q.give_up_before(2000, 1000);
  CHECK(texts(q.take_ready()) == std::vector<std::string>{"pong"});
  CHECK_FALSE(q.add(lost, text("subscribed"), 10));
}
