// The error table: one row per sy::errc, the HTTP status and wire code the edges answer with,
// and errors that keep their code (not their text) across serialization.
#include <catch2/catch.hpp>

#include <set>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "schema/cluster.hpp"
#include "schema/codes.hpp"
#include "schema/errc_caf.hpp"

using namespace sy;

TEST_CASE("every errc has one row with a distinct wire code", "[unit][errc]") {
  std::set<std::string_view> seen;
  for (int i = 1; i <= static_cast<int>(errc_count()); ++i) {
    auto e = static_cast<errc>(i);
    CHECK(info(e).code == e);
    CHECK(seen.insert(wire_code(e)).second);
    CHECK(http_status(e) >= 400);
  }
}

TEST_CASE("errc rows give the documented REST statuses and close codes", "[unit][errc]") {
  CHECK(http_status(errc::bad_cursor) == 400);
  CHECK(http_status(errc::unauthorized) == 401);
  CHECK(http_status(errc::forbidden) == 403);
  CHECK(http_status(errc::channel_unavailable) == 404);
  CHECK(http_status(errc::quota_exceeded) == 429);
  CHECK(http_status(errc::unavailable) == 503);
  CHECK(wire_code(errc::bad_cursor) == error_code::bad_cursor);
  CHECK(wire_code(errc::quota_exceeded) == error_code::quota_exceeded);
  CHECK(info(errc::quota_exceeded).close_code == close_code::quota_exceeded);
  CHECK(info(errc::channel_unavailable).close_code == close_code::channel_unavailable);
  CHECK(info(errc::bad_cursor).close_code == 0);
  // The HTTP transport's own refusals come from the same table.
  CHECK(http_status(errc::payload_too_large) == 413);
  CHECK(http_status(errc::headers_too_large) == 431);
  CHECK(http_status(errc::not_implemented) == 501);
  CHECK(http_status(errc::too_many_connections) == 503);
  CHECK(wire_code(errc::tls_required) == "tls_required");
  CHECK(http_status(errc::insufficient_storage) == 507);
  CHECK(http_status(errc::already_exists) == 409);
  CHECK(http_status(errc::shutting_down) == 503);
  CHECK(wire_code(errc::shutting_down) == "shutting_down");
  CHECK(info(errc::shutting_down).close_code == close_code::going_away);
  CHECK(http_status(errc::version_conflict) == 409);
  CHECK(http_status(errc::room_full) == 409);
  CHECK(http_status(errc::state_too_large) == 413);
  CHECK(http_status(errc::info_too_large) == 413);
  CHECK(http_status(errc::not_joined) == 409);
  CHECK(info(errc::version_conflict).close_code == 0);
  CHECK(info(errc::closed_by_admin).close_code == close_code::closed_by_admin);
  CHECK(close_code::closed_by_admin == 4011);
  CHECK(errc_count() == static_cast<std::size_t>(errc::closed_by_admin));
}

TEST_CASE("an errc error keeps its code and detail through serialization", "[unit][errc]") {
  caf::actor_system_config cfg;
  register_cluster_types(cfg);
  caf::actor_system sys{cfg};
  auto err = make_error(errc::bad_cursor, "cursor is ahead of the channel");
  REQUIRE(errc_of(err));
  CHECK(*errc_of(err) == errc::bad_cursor);
  CHECK(detail_of(err) == "cursor is ahead of the channel");
  CHECK(sys.render(err) == "sy: bad_cursor (cursor is ahead of the channel)");
  // Inside a message, as a remote answer travels.
  auto msg = caf::make_message(err);
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  REQUIRE_FALSE(sink(msg));
  caf::message back;
  caf::binary_deserializer source{sys, buf};
  REQUIRE_FALSE(source(back));
  REQUIRE(back.match_elements<caf::error>());
  const auto& got = back.get_as<caf::error>(0);
  REQUIRE(errc_of(got));
  CHECK(*errc_of(got) == errc::bad_cursor);
  CHECK(detail_of(got) == "cursor is ahead of the channel");
  // Errors of other categories have no errc.
  CHECK_FALSE(errc_of(caf::make_error(caf::sec::request_timeout)));
  CHECK_FALSE(errc_of(caf::error{}));
}
