// GET /metrics: the numbers move with the traffic, the exposition passes promtool, and
// metrics.allow / metrics.token decide who may scrape.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <thread>


using namespace sy::test;

namespace {

// "name{labels} value" -> value, for every sample line of a scrape.
std::map<std::string, double> parse_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos)
      continue;
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

std::map<std::string, double> scrape(http_client& h) {
  auto r = h.request("GET", "/metrics");
  REQUIRE(r.status == 200);
  return parse_samples(r.body);
}

double at(const std::map<std::string, double>& m, const std::string& series) {
  auto it = m.find(series);
  INFO("series " << series);
  REQUIRE(it != m.end());
  return it->second;
}

} // namespace

TEST_CASE("metrics move after connecting, subscribing, publishing and a refused token",
          "[integration][metrics]") {
  daemon_process d({}, {{"SWITCHYARD_STORAGE_ENGINE", "memory"}});
  http_client rest(d.port());
  auto first = rest.request("GET", "/metrics");
  REQUIRE(first.status == 200);
  CHECK(first.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8");
  auto before = parse_samples(first.body);
  CHECK(at(before, "switchyard_connections{dialect=\"fabric\"}") == 0);

  auto c = connect_fabric(d, "metrics-watch");
  subscribe(c, {"m.a", "m.b"});
  for (int i = 0; i < 3; ++i)
    publish(rest, "m.a", R"({"data":{"n":1}})", 201);
  publish(rest, "m.a", R"({"data":{"n":1},"idempotencyKey":"k"})", 201);
  publish(rest, "m.a", R"({"data":{"n":1},"idempotencyKey":"k"})", 200); // duplicate
  for (int i = 0; i < 4; ++i)
    next_event(c);
  auto refused = rest.request("POST", "/v1/channels/m.a/events", R"({"data":1})",
                              {{"Authorization", "Bearer wrong-key"},
                               {"Content-Type", "application/json"}});
  CHECK(refused.status == 401);
  REQUIRE(c.send_text(R"({"op":"nope"})")); // refused with an error frame
  auto err = next_object(c);
  CHECK(field_s(err, "code") == "unknown_op");
  REQUIRE(c.send_text(R"({"op":"join","room":"mroom"})"));
  CHECK(field_s(next_object(c), "op") == "joined");
  CHECK(field_s(next_object(c), "op") == "subscribed"); // room.mroom

  auto after = scrape(rest);
  auto delta = [&](const std::string& s) { return at(after, s) - at(before, s); };
  CHECK(at(after, "switchyard_connections{dialect=\"fabric\"}") == 1);
  CHECK(delta("switchyard_connections_opened_total{dialect=\"fabric\"}") == 1);
  CHECK(at(after, "switchyard_subscriptions") == 3); // m.a, m.b, room.mroom
  CHECK(at(after, "switchyard_channels") >= 2);
  CHECK(delta("switchyard_publishes_total{route=\"channel\",result=\"ok\"}") == 4);
  CHECK(delta("switchyard_publishes_total{route=\"channel\",result=\"duplicate\"}") == 1);
  CHECK(delta("switchyard_deliveries_total") == 4);
  CHECK(delta("switchyard_publish_deliver_latency_seconds_count") == 4);
  CHECK(delta("switchyard_publish_deliver_latency_seconds_bucket{le=\"+Inf\"}") == 4);
  CHECK(delta("switchyard_sent_bytes_total") > 0);
  CHECK(delta("switchyard_refusals_total{reason=\"unauthorized\"}") == 1);
  CHECK(delta("switchyard_refusals_total{reason=\"unknown_op\"}") == 1);
  CHECK(at(after, "switchyard_rooms") == 1);
  CHECK(at(after, "switchyard_room_members") == 1);
  CHECK(delta("switchyard_history_events") >= 4); // and the router's own log.event records
  CHECK(at(after, "switchyard_history_bytes") > 0);

  c.close(1000);
  // The close is counted when the session ends, and the member leaves when its room handles
  // the session's leave after that: wait for both, bounded.
  std::map<std::string, double> closed;
  for (int i = 0; i < 100; ++i) {
    closed = scrape(rest);
    if (at(closed, "switchyard_connections{dialect=\"fabric\"}") == 0
        && at(closed, "switchyard_room_members") == 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(at(closed, "switchyard_connections{dialect=\"fabric\"}") == 0);
  CHECK(at(closed, "switchyard_room_members") == 0);
  CHECK(at(closed, "switchyard_closes_total{code=\"1000\"}")
          - at(before, "switchyard_closes_total{code=\"1000\"}") == 1);
}

TEST_CASE("promtool check metrics accepts a real scrape", "[integration][metrics]") {
  // The durable store, the cluster and the change-data source families too: every family the
  // daemon can expose (the source's database is unreachable: its families are there anyway).
  daemon_process d({"--cluster-port", std::to_string(free_port())},
                   {{"SWITCHYARD_STORAGE_ENGINE", "rocksdb"},
                    {"SWITCHYARD_SOURCES", R"([{"workspace":"acme","dsn":"host=127.0.0.1 port=1 )"
                                           R"(dbname=app user=sy connect_timeout=1"}])"}});
  http_client rest(d.port());
  auto c = connect_fabric(d, "promtool-watch");
  subscribe(c, {"p.a"});
  publish(rest, "p.a", R"({"data":{"n":1}})", 201);
  next_event(c);
  auto r = rest.request("GET", "/metrics");
  REQUIRE(r.status == 200);
  auto samples = parse_samples(r.body);
  CHECK(samples.count("switchyard_store_write_duration_seconds_count") == 1);
  CHECK(samples.count("switchyard_cluster_members{state=\"up\"}") == 1);
  CHECK(samples.count("switchyard_source_failures_total{source=\"switchyard_acme\"}") == 1);
  CHECK(samples.count("switchyard_source_state{source=\"switchyard_acme\",state=\"streaming\"}")
        == 1);

  CHECK(promtool_complaints(r.body, d.data_dir()) == ""); // shows promtool's output if not
}

TEST_CASE("metrics.token is required from addresses outside metrics.allow",
          "[integration][metrics]") {
  SECTION("with a token: 401 without it or with another, 200 with it") {
    // An empty metrics.allow makes loopback an outside address like any other.
    daemon_process d({}, {{"SWITCHYARD_METRICS_ALLOW", ""},
                          {"SWITCHYARD_METRICS_TOKEN", "scrape-secret"}});
    http_client h(d.port());
    auto none = h.request("GET", "/metrics");
    CHECK(none.status == 401);
    CHECK(error_code_of(none.body) == "unauthorized");
    CHECK(h.request("GET", "/metrics", "", {{"Authorization", "Bearer scrape-secreT"}}).status
          == 401);
    CHECK(h.request("GET", "/metrics", "", {{"Authorization", "Bearer test-key"}}).status
          == 401); // the API key is not the metrics token
    auto ok = h.request("GET", "/metrics", "", {{"Authorization", "Bearer scrape-secret"}});
    CHECK(ok.status == 200);
    CHECK(ok.body.find("# TYPE switchyard_connections gauge") != std::string::npos);
  }
  SECTION("without a token: 403 outside metrics.allow") {
    daemon_process d({}, {{"SWITCHYARD_METRICS_ALLOW", "192.0.2.1"}});
    http_client h(d.port());
    auto r = h.request("GET", "/metrics", "", {{"Authorization", "Bearer anything"}});
    CHECK(r.status == 403);
    CHECK(error_code_of(r.body) == "forbidden");
  }
  SECTION("an address in metrics.allow needs no token") {
    daemon_process d({}, {{"SWITCHYARD_METRICS_ALLOW", "127.0.0.1"},
                          {"SWITCHYARD_METRICS_TOKEN", "scrape-secret"}});
    http_client h(d.port());
    CHECK(h.request("GET", "/metrics").status == 200);
  }
}
