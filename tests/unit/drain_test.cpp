// The shutdown drain at the actor level: the directory's (drain) makes every channel fan out
// what it holds for the end of its batch window, and answers only after those deliveries left.
#include "channel_fixture.hpp"

using namespace sy::test_channel;

TEST_CASE_METHOD(fixture, "a drain fans out a pending burst before its batch window ends",
                 "[unit][channel][drain]") {
  cfg->batch_window_us = 10'000'000; // the second burst would wait 10 s for its flush
  start();
  auto s = subscribe("drain.one", 1);
  expect_ack();
  publish("drain.one", R"({"n":1})"); // idle channel: flushed at once
  CHECK(expect_delivery().second->ev.seq == 1);
  auto second = publish("drain.one", R"({"n":2})"); // inside the window: held
  expect_nothing();
  std::size_t flushed = 0;
  self->request(dir, 2s, drain_atom::value)
    .receive([&](std::size_t n) { flushed = n; },
             [&](const caf::error& e) { FAIL("drain failed: " << to_string(e)); });
  CHECK(flushed == 1);
  auto d = expect_delivery(); // long before the window's end
  CHECK(d.second == second.ev);
  caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(fixture, "a drain with no channel answers at once", "[unit][channel][drain]") {
  start();
  std::size_t flushed = 99;
  self->request(dir, 2s, drain_atom::value)
    .receive([&](std::size_t n) { flushed = n; },
             [&](const caf::error& e) { FAIL("drain failed: " << to_string(e)); });
  CHECK(flushed == 0);
}
