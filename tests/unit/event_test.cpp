#include <catch2/catch.hpp>

#include "schema/event.hpp"

using namespace sy;

TEST_CASE("cursors round-trip and reject garbage", "[event]") {
  auto text = format_cursor({0x82fa5bd91277, 17});
  CHECK(text == "82fa5bd91277-17");
  auto c = parse_cursor(text);
  REQUIRE(c);
  CHECK(c->epoch == 0x82fa5bd91277);
  CHECK(c->seq == 17);
  for (const char* bad : {"", "-", "abc", "abc-", "-5", "xyz-1", "a-1x", "1-2-3", "a b-1",
                          "11111111111111111-1"}) {
    INFO(bad);
    CHECK_FALSE(parse_cursor(bad));
  }
}

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds", "[event]") {
  CHECK(format_timestamp(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_timestamp(1705312800123) == "2024-01-15T10:00:00.123Z");
}

TEST_CASE("channel names", "[event]") {
  CHECK(valid_channel_name("payload.list"));
  CHECK(valid_channel_name("postgres:products"));
  CHECK(valid_channel_name("feed_a-b"));
  CHECK_FALSE(valid_channel_name(""));
  CHECK_FALSE(valid_channel_name("bad topic"));
  CHECK_FALSE(valid_channel_name("a*"));
  CHECK_FALSE(valid_channel_name(std::string(201, 'a')));
}
