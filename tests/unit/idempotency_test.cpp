#include <catch2/catch.hpp>

#include "actors/idempotency_window.hpp"

using namespace sy;

namespace {

event_ptr ev(std::uint64_t seq) {
  event e;
  e.seq = seq;
  e.data_json = "null";
  e.metadata_json = "{}";
  return std::make_shared<const encoded_event>(encode_event(std::move(e)));
}

} // namespace

TEST_CASE("idempotency keys are remembered for the window", "[idempotency]") {
  idempotency_window w(1000, 100);
  CHECK(w.find("k", 0) == nullptr);
  auto first = ev(1);
  w.remember("k", first, 0);
  CHECK(w.find("k", 999) == first);
  w.remember("k", ev(2), 10); // first publish wins
  CHECK(w.find("k", 500) == first);
  CHECK(w.find("k", 1000) == nullptr); // expired
  CHECK(w.size() == 0);
}

TEST_CASE("idempotency window is bounded by max_keys", "[idempotency]") {
  idempotency_window w(60000, 3);
  for (int i = 0; i < 5; ++i)
    w.remember("k" + std::to_string(i), ev(i + 1), i);
  CHECK(w.size() == 3);
  CHECK(w.find("k0", 10) == nullptr);
  CHECK(w.find("k1", 10) == nullptr);
  CHECK(w.find("k4", 10) != nullptr);
}
