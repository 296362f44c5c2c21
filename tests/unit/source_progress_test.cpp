// The rule that makes change capture exactly-once: a source confirms to PostgreSQL only a
// position every change before which is stored (actors/source_progress.hpp).
#include "actors/source_progress.hpp"

#include <catch2/catch.hpp>

using sy::source_progress;

TEST_CASE("source progress confirms a transaction only once all its changes are stored",
          "[unit][sources]") {
  source_progress p;
  p.begin(0x100, 1000);
  auto a = p.change();
  auto b = p.change();
  p.commit(0x110);
  CHECK(p.received() == 0x110);
  CHECK(p.in_flight() == 2);
  CHECK(p.confirmable() == 0);
  CHECK(p.oldest_unconfirmed_ms() == 1000);
  REQUIRE(p.stored(b)); // out of order: a different channel stored first
  CHECK(p.confirmable() == 0);
  REQUIRE(p.stored(a));
  CHECK(p.confirmable() == 0x110);
  CHECK(p.in_flight() == 0);
  CHECK(p.oldest_unconfirmed_ms() == 0);
}

TEST_CASE("source progress never confirms past an earlier unstored transaction",
          "[unit][sources]") {
  source_progress p;
  p.begin(0x100, 1);
  auto first = p.change();
  p.commit(0x110);
  p.begin(0x200, 2);
  auto second = p.change();
  p.commit(0x210);
  REQUIRE(p.stored(second));
  CHECK(p.confirmable() == 0); // the first is not stored: the slot must resend both
  REQUIRE(p.stored(first));
  CHECK(p.confirmable() == 0x210);
}

TEST_CASE("source progress does not confirm an open transaction", "[unit][sources]") {
  source_progress p;
  p.begin(0x100, 1);
  auto a = p.change();
  REQUIRE(p.stored(a));
  CHECK(p.in_transaction());
  CHECK(p.confirmable() == 0); // no COMMIT yet: more changes of it may follow
  p.server_position(0x500);
  CHECK(p.confirmable() == 0); // nor does a keepalive move past it
  p.commit(0x120);
  CHECK(p.confirmable() == 0x500); // nothing open or in flight: the keepalive's position
}

TEST_CASE("source progress takes a keepalive position only when nothing is pending",
          "[unit][sources]") {
  source_progress p;
  p.server_position(0x40);
  CHECK(p.confirmable() == 0x40); // idle: WAL of other tables need not be kept
  p.begin(0x100, 1);
  auto a = p.change();
  p.commit(0x110);
  p.server_position(0x300);
  CHECK(p.confirmable() == 0x40);
  REQUIRE(p.stored(a));
  CHECK(p.confirmable() == 0x300);
  p.server_position(0x200); // positions never go back
  CHECK(p.confirmable() == 0x300);
}

TEST_CASE("source progress confirms an empty transaction at its commit", "[unit][sources]") {
  source_progress p;
  p.begin(0x100, 1);
  p.commit(0x110); // every change filtered out (a table outside `tables`)
  CHECK(p.confirmable() == 0x110);
  CHECK(p.in_flight() == 0);
}

TEST_CASE("source progress refuses tickets it never issued or already counted",
          "[unit][sources]") {
  source_progress p;
  CHECK_FALSE(p.stored(1));
  p.begin(0x100, 1);
  auto a = p.change();
  p.commit(0x110);
  CHECK_FALSE(p.stored(a + 1));
  REQUIRE(p.stored(a));
  CHECK_FALSE(p.stored(a)); // its transaction is confirmable and forgotten
  CHECK(p.in_flight() == 0);
}
