// The Prometheus text encoder (metrics/exposition.hpp) and the per-thread counters
// (metrics/counters.hpp) that GET /metrics reads.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "metrics/counters.hpp"
#include "metrics/exposition.hpp"
#include "metrics/hooks.hpp"
#include "schema/errc.hpp"

using namespace sy::metrics;

TEST_CASE("exposition escapes label values and help text", "[unit][metrics]") {
  CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escape_help("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");
  exposition e;
  e.family("sy_test_total", "counter", "line one\nline \\two");
  e.sample("sy_test_total", {{"path", "/a\"b\\c\n"}, {"code", "4009"}}, 3);
  CHECK(e.text() == "# HELP sy_test_total line one\\nline \\\\two\n"
                    "# TYPE sy_test_total counter\n"
                    "sy_test_total{path=\"/a\\\"b\\\\c\\n\",code=\"4009\"} 3\n");
}

TEST_CASE("exposition writes values as integers, decimals and special values", "[unit][metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(1234567890123.0) == "1234567890123");
  CHECK(format_value(-5) == "-5");
  CHECK(format_value(0.001) == "0.001");
  CHECK(format_value(2.5) == "2.5");
  CHECK(format_value(1.0 / 0.0) == "+Inf");
  CHECK(format_value(-1.0 / 0.0) == "-Inf");
  CHECK(format_value(0.0 / 0.0) == "NaN");
  exposition e;
  e.sample("sy_gauge", {}, -2);
  CHECK(e.text() == "sy_gauge -2\n");
}

TEST_CASE("exposition histogram buckets are cumulative and end with +Inf, _sum and _count",
          "[unit][metrics]") {
  exposition e;
  e.family("sy_lat_seconds", "histogram", "latency");
  e.histogram("sy_lat_seconds", {{"route", "x"}}, {0.001, 0.01, 0.1}, {2, 0, 3, 1}, 0.75);
  CHECK(e.text() == "# HELP sy_lat_seconds latency\n"
                    "# TYPE sy_lat_seconds histogram\n"
                    "sy_lat_seconds_bucket{route=\"x\",le=\"0.001\"} 2\n"
                    "sy_lat_seconds_bucket{route=\"x\",le=\"0.01\"} 2\n"
                    "sy_lat_seconds_bucket{route=\"x\",le=\"0.1\"} 5\n"
                    "sy_lat_seconds_bucket{route=\"x\",le=\"+Inf\"} 6\n"
                    "sy_lat_seconds_sum{route=\"x\"} 0.75\n"
                    "sy_lat_seconds_count{route=\"x\"} 6\n");
}

TEST_CASE("counters from several threads sum on a snapshot and gauges go up and down",
          "[unit][metrics]") {
  auto before = snapshot();
  std::thread a([] {
    for (int i = 0; i < 1000; ++i)
      add(deliveries);
    add(subscriptions, 5);
  });
  std::thread b([] {
    add(deliveries, 234);
    sub(subscriptions, 2); // a gauge lowered on another thread than the one that raised it
  });
  a.join();
  b.join(); // the blocks of exited threads still count
  auto after = snapshot();
  CHECK(after[deliveries] - before[deliveries] == 1234);
  CHECK(static_cast<std::int64_t>(after[subscriptions] - before[subscriptions]) == 3);
}

TEST_CASE("histogram observations land in the first bucket whose bound holds them",
          "[unit][metrics]") {
  auto before = snapshot();
  observe(deliver_latency, latency_us_bounds, 0);       // bucket 0 (<= 1 ms)
  observe(deliver_latency, latency_us_bounds, 1000);    // bucket 0: bounds are inclusive
  observe(deliver_latency, latency_us_bounds, 1001);    // bucket 1 (<= 2 ms)
  observe(deliver_latency, latency_us_bounds, 99000000); // +Inf
  auto after = snapshot();
  constexpr auto n = std::size(latency_us_bounds);
  auto d = [&](std::size_t i) { return after[deliver_latency + i] - before[deliver_latency + i]; };
  CHECK(d(0) == 2);
  CHECK(d(1) == 1);
  CHECK(d(n) == 1);               // +Inf
  CHECK(d(n + 1) == 99002001);    // sum
  CHECK(d(n + 2) == 4);           // count
}

namespace {
struct timed { // what delivered() reads of an event
  struct {
    std::int64_t timestamp_ms;
  } ev;
};
} // namespace

TEST_CASE("a delivered burst counts every event from the offset in its latency bucket",
          "[unit][metrics]") {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  auto at = [](std::int64_t ms) { return std::make_shared<timed>(timed{{ms}}); };
  // 3 s old (bucket <= 5 s) and 30 ms old (bucket <= 50 ms), in runs and apart; the first one
  // is before the offset and not counted.
  std::int64_t a = now_ms - 3000, b = now_ms - 30;
  std::vector<std::shared_ptr<timed>> burst{at(b), at(a), at(a), at(b), at(b), at(a)};
  auto before = snapshot();
  delivered(burst, 1);
  auto after = snapshot();
  constexpr auto n = std::size(latency_us_bounds);
  auto d = [&](std::size_t i) { return after[deliver_latency + i] - before[deliver_latency + i]; };
  CHECK(after[deliveries] - before[deliveries] == 5);
  CHECK(d(11) == 3); // <= 5,000,000 us
  CHECK(d(5) == 2);  // <= 50,000 us
  CHECK(d(n + 2) == 5); // count
  auto sum = d(n + 1);  // 3 x ~3 s + 2 x ~30 ms, plus the time the test took
  CHECK(sum >= 3 * 3000000 + 2 * 30000);
  CHECK(sum < 3 * 3000000 + 2 * 30000 + 5 * 1000000);
}

TEST_CASE("every errc value and close code has a metrics slot", "[unit][metrics]") {
  CHECK(sy::errc_count() < max_errc);
  for (std::size_t i = 1; i <= sy::errc_count(); ++i)
    CHECK(errc_slot(static_cast<sy::errc>(i)) == i);
  CHECK(close_code_index(4009) < close_code_slots - 1);
  CHECK(close_code_index(1006) < close_code_slots - 1);
  CHECK(close_code_index(3000) == close_code_slots - 1); // other
}
