// The operator's log lines: the per-kind rate limit and the text form of a record.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <spdlog/details/log_msg.h>

#include "actors/log_line.hpp"

using namespace sy;

TEST_CASE("log_limiter passes N lines of a kind per second and counts the rest", "[logs]") {
  log_limiter lim(3);
  std::vector<log_limiter::summary> ended;
  int passed = 0;
  for (int i = 0; i < 10; ++i)
    passed += lim.admit("auth.refused", spdlog::level::warn, 1000 + i, ended) ? 1 : 0;
  CHECK(passed == 3);
  CHECK(ended.empty());
  // Another kind has its own budget.
  CHECK(lim.admit("conn.open", spdlog::level::info, 1005, ended));
  // The window has not ended: nothing to report yet.
  CHECK(lim.take_ended(1999).empty());
  auto sums = lim.take_ended(2000);
  REQUIRE(sums.size() == 1);
  CHECK(sums[0].kind == "auth.refused");
  CHECK(sums[0].suppressed == 7);
  CHECK(sums[0].level == spdlog::level::warn);
  // A new window starts afresh, and a line after a window reports that window's count.
  for (int i = 0; i < 5; ++i)
    lim.admit("auth.refused", spdlog::level::warn, 3000, ended);
  CHECK(lim.admit("auth.refused", spdlog::level::warn, 4000, ended));
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].suppressed == 2);
}

TEST_CASE("log_limiter with 0 passes every line", "[logs]") {
  log_limiter lim(0);
  std::vector<log_limiter::summary> ended;
  for (int i = 0; i < 1000; ++i)
    REQUIRE(lim.admit("k", spdlog::level::info, 1, ended));
  CHECK(lim.take_ended(100000).empty());
}

TEST_CASE("a record's text form is its message and key=value fields", "[logs]") {
  boost::json::object f{{"user", "alice"}, {"code", 1000}, {"reason", "bye now"}, {"empty", ""}};
  CHECK(record_text("connection closed", f)
        == R"(connection closed user=alice code=1000 reason="bye now" empty="")");
}

TEST_CASE("the JSON formatter writes time, level and the message as one object", "[logs]") {
  auto fmt = make_json_formatter();
  spdlog::details::log_msg msg("switchyard", spdlog::level::warn, "a \"quoted\" text");
  spdlog::memory_buf_t buf;
  fmt->format(msg, buf);
  std::string line(buf.data(), buf.size());
  REQUIRE(line.back() == '\n');
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  REQUIRE_FALSE(ec);
  CHECK(v.at("level") == "warning");
  CHECK(v.at("msg") == "a \"quoted\" text");
  CHECK(v.at("time").is_string());
}
