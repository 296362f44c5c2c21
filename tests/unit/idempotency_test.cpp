#include <catch2/catch.hpp>

#include "actors/idempotency_window.hpp"

using namespace sy;

namespace {

event_ptr ev(std::uint64_t seq, std::string data = "null") {
  event e;
  e.seq = seq;
  e.data_json = std::move(data);
  e.metadata_json = "{}";
  return std::make_shared<const encoded_event>(encode_event(std::move(e)));
}

idempotency_window::limits bounds(std::int64_t window_ms, std::size_t max_keys,
                                  std::size_t max_bytes = 1 << 20) {
  return {window_ms, max_keys, max_bytes};
}

} // namespace

TEST_CASE("idempotency keys are remembered for the window", "[idempotency]") {
  idempotency_window w(bounds(1000, 100));
  CHECK(w.find("k", 0) == nullptr);
  auto first = ev(1);
  w.remember("k", first->ev, 0);
  REQUIRE(w.find("k", 999) != nullptr);
  CHECK(w.find("k", 999)->seq == first->ev.seq);
  w.remember("k", ev(2)->ev, 10); // first publish wins
  CHECK(w.find("k", 500)->seq == first->ev.seq);
  CHECK(w.find("k", 1000) == nullptr); // expired
  CHECK(w.size() == 0);
}

TEST_CASE("idempotency window is bounded by max_keys", "[idempotency]") {
  idempotency_window w(bounds(60000, 3));
  for (int i = 0; i < 5; ++i)
    w.remember("k" + std::to_string(i), ev(i + 1)->ev, i);
  CHECK(w.size() == 3);
  CHECK(w.find("k0", 10) == nullptr);
  CHECK(w.find("k1", 10) == nullptr);
  CHECK(w.find("k4", 10) != nullptr);
}

TEST_CASE("idempotency window keeps a receipt, never the event", "[idempotency]") {
  idempotency_window w(bounds(60000, 100));
  auto big = ev(7, "\"" + std::string(64 * 1024, 'x') + "\"");
  auto e = big->ev;
  e.type = "upload";
  e.correlation_id = "c-1";
  w.remember("k", e, 0);
  CHECK(big.use_count() == 1);
  CHECK(w.bytes() == idempotency_window::per_key_bytes + 1 + 6 + 3);
  auto* r = w.find("k", 1);
  REQUIRE(r != nullptr);
  CHECK(r->seq == 7);
  CHECK(r->type == "upload");
  CHECK(r->correlation_id == "c-1");
}

TEST_CASE("idempotency window is bounded by bytes, oldest keys first", "[idempotency]") {
  const std::string pad(200, 'p');
  const std::size_t per_key = idempotency_window::per_key_bytes + pad.size() + 2;
  idempotency_window w(bounds(60000, 1000, 3 * per_key));
  for (int i = 0; i < 10; ++i)
    w.remember(pad + std::to_string(i), ev(i + 1)->ev, i);
  CHECK(w.size() == 3);
  CHECK(w.bytes() <= 3 * per_key);
  CHECK(w.find(pad + "6", 20) == nullptr);
  CHECK(w.find(pad + "7", 20) != nullptr);
  CHECK(w.find(pad + "9", 20) != nullptr);
  // A key larger than the whole bound is still remembered (alone): the newest always stays.
  std::string huge(8 * per_key, 'h');
  w.remember(huge, ev(11)->ev, 30);
  CHECK(w.size() == 1);
  CHECK(w.find(huge, 31) != nullptr);
}

TEST_CASE("windows share the node budget and each forgets only its own keys", "[idempotency]") {
  const std::string pad(200, 'p');
  const std::size_t per_key = idempotency_window::per_key_bytes + pad.size() + 1;
  auto node = std::make_shared<idempotency_budget>(5 * per_key);
  {
    idempotency_window quiet(bounds(60000, 1000), node);
    quiet.remember(pad + "q", ev(1)->ev, 0);
    quiet.remember(pad + "r", ev(2)->ev, 0);
    idempotency_window busy(bounds(60000, 1000), node);
    for (int i = 0; i < 9; ++i)
      busy.remember(pad + std::to_string(i), ev(i + 1)->ev, i);
    CHECK(node->used() == quiet.bytes() + busy.bytes());
    CHECK(node->used() <= 5 * per_key);
    CHECK(quiet.size() == 2); // the busy channel never takes the quiet one's keys
    CHECK(busy.size() == 3);
    CHECK(busy.find(pad + "8", 10) != nullptr);
    CHECK(busy.find(pad + "5", 10) == nullptr);
  }
  CHECK(node->used() == 0); // a window gives its bytes back when its channel goes
}
