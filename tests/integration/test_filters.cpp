// Server-side filters (FILTERS.md) hold on live events, on snapshots and on resume replay.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

namespace {

std::vector<std::int64_t> prices_of(ws_client& c, std::size_t n) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto ev = next_event(c);
    INFO(to_text(ev));
    out.push_back(field_i(field_o(ev, "data"), "price"));
  }
  return out;
}

} // namespace

TEST_CASE("filters hold on snapshot, on resume and live", "[integration][filter]") {
  daemon_process d({"--set", R"(namespaces=[{"prefix":"snap.","history_size":50,"snapshot":4}])"});
  http_client rest(d.port());
  for (int price : {50, 150, 80, 200})
    publish(rest, "snap.shop", R"({"data":{"price":)" + std::to_string(price) + "}}");

  const std::string filter = R"("filter":{"predicates":{"price":{"$gte":100}}})";

  // Snapshot: the last 4 events, of which only the two >= 100 pass.
  auto a = connect_fabric(d, "snap");
  a.send_text(R"({"op":"subscribe","topics":["snap.shop"],)" + filter + "}");
  auto conf = next_object(a);
  INFO(to_text(conf));
  CHECK(field_s(conf, "op") == "subscribed");
  CHECK(field_i(conf, "replay") == 2);
  CHECK(prices_of(a, 2) == std::vector<std::int64_t>{150, 200});

  // Live.
  auto first = publish(rest, "snap.shop", R"({"data":{"price":10}})");
  publish(rest, "snap.shop", R"({"data":{"price":300}})");
  CHECK(prices_of(a, 1) == std::vector<std::int64_t>{300});
  expect_silence(a);

  // Resume from before the last two: only the one that passes is replayed.
  auto b = connect_fabric(d, "resume");
  b.send_text(R"({"op":"subscribe","topics":["snap.shop"],"since":{"snap.shop":")"
              + field_s(first, "id") + R"("},)" + filter + "}");
  auto conf_b = next_object(b);
  INFO(to_text(conf_b));
  CHECK(field_b(conf_b, "recovered") == true);
  CHECK(field_i(conf_b, "replay") == 1);
  CHECK(prices_of(b, 1) == std::vector<std::int64_t>{300});

  // An invalid filter is refused at subscribe, naming the problem.
  b.send_text(R"({"op":"subscribe","topics":["snap.x"],"filter":{"predicates":{"p":{"$near":1}}}})");
  auto err = next_object(b);
  CHECK(field_s(err, "code") == "invalid_filter");
  CHECK(field_s(err, "message").find("$near") != std::string::npos);
}
