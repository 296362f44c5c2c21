// console.stats data (actors/stats_sample.hpp): the sums of the counter slots and the exact
// JSON the console reads.
#include <catch2/catch.hpp>

#include "actors/stats_sample.hpp"
#include "metrics/slots.hpp"

using namespace sy;

TEST_CASE("stats sample sums the counter slots a scrape reads", "[unit][console]") {
  std::vector<std::uint64_t> snap(metrics::slot_count, 0);
  snap[metrics::connections + 0] = 3;                 // fabric
  snap[metrics::connections + 3] = 1;                 // sse
  snap[metrics::connections + 1] = std::uint64_t(0) - 1; // a -1 seen before its +1
  snap[metrics::channels] = 7;
  snap[metrics::subscriptions] = 9;
  snap[metrics::rooms] = 2;
  snap[metrics::room_members] = 5;
  snap[metrics::deliveries] = 1000;
  // ok publishes on two routes count; a duplicate and a refusal do not
  snap[metrics::publishes + 0 * metrics::result_slots + metrics::result_ok] = 10;
  snap[metrics::publishes + 3 * metrics::result_slots + metrics::result_ok] = 4;
  snap[metrics::publishes + 0 * metrics::result_slots + metrics::result_duplicate] = 6;
  snap[metrics::publishes + 0 * metrics::result_slots + 2 + 5] = 8;
  auto s = read_stats_sample(snap);
  CHECK(s.connections == 3);
  CHECK(s.connections_by_dialect[0] == 3);
  CHECK(s.connections_by_dialect[1] == -1);
  CHECK(s.channels == 7);
  CHECK(s.subscriptions == 9);
  CHECK(s.rooms == 2);
  CHECK(s.members == 5);
  CHECK(s.publishes == 14);
  CHECK(s.deliveries == 1000);
}

TEST_CASE("stats data is the documented JSON with per-second rates", "[unit][console]") {
  stats_sample before;
  before.publishes = 100;
  before.deliveries = 1000;
  stats_sample now;
  now.connections_by_dialect = {2, 0, 1, 0};
  now.connections = 3;
  now.channels = 4;
  now.subscriptions = 5;
  now.publishes = 125;
  now.deliveries = 1001;
  now.rooms = 1;
  now.members = 2;
  std::vector<stats_member> members{{"a:1", "up", true}, {"b\"2", "down", false}};
  CHECK(stats_data_json(now, before, 2.0, members)
        == R"({"connections":3,"connectionsByDialect":{"fabric":2,"gateway":0,"snackbase":1,)"
           R"("sse":0},"channels":4,"subscriptions":5,"publishes":125,"deliveries":1001,)"
           R"("publishRate":12.5,"deliveryRate":0.5,"rooms":1,"members":2,)"
           R"("clusterMembers":[{"nodeId":"a:1","state":"up","self":true},)"
           R"({"nodeId":"b\"2","state":"down","self":false}]})");
  // Rates round to two decimals and print without an exponent; no time or a counter that
  // went back gives 0.
  now.publishes = 101;
  auto text = stats_data_json(now, before, 3.0, {});
  CHECK(text.find(R"("publishRate":0.33,)") != std::string::npos);
  CHECK(text.find(R"("clusterMembers":[]})") != std::string::npos);
  CHECK(stats_data_json(now, before, 0.0, {}).find(R"("publishRate":0,)") != std::string::npos);
  CHECK(stats_data_json(before, now, 1.0, {}).find(R"("publishRate":0,)") != std::string::npos);
  before.publishes = 0;
  now.publishes = 3000000;
  CHECK(stats_data_json(now, before, 1.0, {}).find(R"("publishRate":3000000,)")
        != std::string::npos);
}
