#include <cstdio>
#include <ctime>
#include <limits>

#include <catch2/catch.hpp>

#include "schema/event.hpp"
#include "schema/json_text.hpp"

#include <boost/json/parse.hpp>

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
  CHECK(format_timestamp(951782400000) == "2000-02-29T00:00:00.000Z");   // a leap day
  CHECK(format_timestamp(4107542399999) == "2100-02-28T23:59:59.999Z");  // 2100 is no leap year
  CHECK(format_timestamp(4107542400000) == "2100-03-01T00:00:00.000Z");
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999Z");
  // Every int64 formats; years outside 0000-9999 are clamped (no overflow at the ends).
  CHECK(format_timestamp(std::numeric_limits<std::int64_t>::min()).rfind("0000-", 0) == 0);
  CHECK(format_timestamp(std::numeric_limits<std::int64_t>::max()).rfind("9999-", 0) == 0);
}

TEST_CASE("timestamps agree with gmtime_r over two centuries", "[event]") {
  // Every 1,000,003 s (about 11.6 days, so every day of the month and hour comes up) from
  // 1970 to 2170, plus the millisecond part.
  for (std::int64_t s = 0; s < 6311433600; s += 1000003) {
    std::int64_t ms = s * 1000 + s % 1000;
    std::time_t t = static_cast<std::time_t>(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char want[80];
    std::snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    if (format_timestamp(ms) != want) {
      INFO(ms);
      REQUIRE(format_timestamp(ms) == want);
    }
  }
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

TEST_CASE("json_text writes doubles in their shortest form without a forced exponent",
          "[unit][json]") {
  auto v = boost::json::parse(R"({"price":29.99,"n":3,"big":1e20,"neg":-0.5,"whole":2.0,)"
                              R"("a":[1.25,"x",null,true],"o":{"k":0.1}})");
  CHECK(sy::json_text(v) == R"({"price":29.99,"n":3,"big":1e+20,"neg":-0.5,"whole":2.0,)"
                            R"("a":[1.25,"x",null,true],"o":{"k":0.1}})");
  // Boost.JSON 1.81 writes 2.999E1 for the same value: the text must read back equal.
  CHECK(boost::json::parse(sy::json_text(v)) == v);
}
