// Channel budgets in a cluster (CLUSTER.md): a subscription to a name owned by another node
// spawns a relay here and an owner there; both must go once the subscription ends, as on a
// single node, or subscribe churn fills quota.max_empty_channels for good.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>

using namespace sy::test;

namespace {

std::unique_ptr<daemon_process> start_node(std::uint16_t port, std::uint16_t join,
                                           const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--cluster-port", std::to_string(port)};
  if (join != 0) {
    args.push_back("--join");
    args.push_back("127.0.0.1:" + std::to_string(join));
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<daemon_process>(args);
}

std::size_t members_up(const daemon_process& d) {
  http_client h(d.port());
  auto r = h.request("GET", "/v1/cluster");
  REQUIRE(r.status == 200);
  std::size_t up = 0;
  auto listing = parse_json(r.body);
  for (const auto& m : listing.as_object().at("members").as_array())
    up += m.as_object().at("state") == "up" ? 1 : 0;
  return up;
}

json::object send_and_read(ws_client& c, const std::string& frame) {
  REQUIRE(c.send_text(frame));
  return next_object(c);
}

} // namespace

TEST_CASE("cluster: subscribe churn of names owned elsewhere leaves no channel behind",
          "[integration][cluster][quota]") {
  const std::vector<std::string> limits{"--set", "quota.max_empty_channels=6", "--set",
                                        "channel.empty_idle_ms=50"};
  auto pa = free_port(), pb = free_port(), pc = free_port();
  auto a = start_node(pa, 0, limits);
  auto b = start_node(pb, pa, limits);
  auto c = start_node(pc, pb, limits);
  for (int i = 0; i < 150 && (members_up(*a) < 3 || members_up(*b) < 3 || members_up(*c) < 3);
       ++i)
    std::this_thread::sleep_for(100ms);
  REQUIRE(members_up(*b) == 3);

  auto churn = connect_fabric(*b, "churner");
  int refused = 0;
  for (int i = 0; i < 30; ++i) { // about two thirds of the names are owned by a or c
    auto topic = "spread." + std::to_string(i);
    auto ack = send_and_read(churn, R"({"op":"subscribe","topics":[")" + topic + R"("]})");
    INFO(to_text(ack));
    refused += field_s(ack, "op") == "subscribed" ? 0 : 1;
    send_and_read(churn, R"({"op":"unsubscribe","topics":[")" + topic + R"("]})");
    std::this_thread::sleep_for(100ms); // the relay and the owner retire meanwhile
  }
  CHECK(refused == 0);
  // Each node still has its whole budget for new names (the channels of one round count on
  // their owners too: each round waits for the previous one's to retire).
  for (auto* d : {a.get(), b.get(), c.get()}) {
    std::this_thread::sleep_for(300ms);
    auto s = connect_fabric(*d, "later");
    std::vector<std::string> topics;
    for (int i = 0; i < 6; ++i)
      topics.push_back("later." + std::to_string(d->port()) + "." + std::to_string(i));
    subscribe(s, topics);
  }
}

TEST_CASE("cluster: a publish through another node over the owner's channel quota is 429 "
          "quota_exceeded",
          "[integration][cluster][quota]") {
  const std::vector<std::string> limits{"--set", "quota.max_channels=8"};
  auto pa = free_port(), pb = free_port();
  auto a = start_node(pa, 0, limits);
  auto b = start_node(pb, pa, limits);
  for (int i = 0; i < 150 && (members_up(*a) < 2 || members_up(*b) < 2); ++i)
    std::this_thread::sleep_for(100ms);
  REQUIRE(members_up(*b) == 2);
  http_client ha(a->port()), hb(b->port());
  // Names that node a owns: more than its budget.
  auto self_a = parse_json(ha.request("GET", "/v1/cluster").body).as_object().at("self");
  std::vector<std::string> owned_by_a;
  for (int i = 0; i < 400 && owned_by_a.size() < 12; ++i) {
    auto name = "quota." + std::to_string(i);
    auto r = hb.request("GET", "/v1/cluster?channel=" + name);
    REQUIRE(r.status == 200);
    if (parse_json(r.body).as_object().at("owner") == self_a)
      owned_by_a.push_back(name);
  }
  REQUIRE(owned_by_a.size() == 12);
  const std::string body = R"({"data":{"n":1}})";
  // Fill a's budget of channels holding events (the router's own log channels count too).
  std::size_t next = 0;
  int status = 201;
  for (; next < owned_by_a.size() && status == 201; ++next)
    status = ha.request("POST", "/v1/channels/" + owned_by_a[next] + "/events", body,
                        api_key_auth())
               .status;
  REQUIRE(status == 429);
  REQUIRE(next < owned_by_a.size());
  // Through b, the owner's refusal keeps its status and code instead of becoming a 503.
  auto via_b =
    hb.request("POST", "/v1/channels/" + owned_by_a[next] + "/events", body, api_key_auth());
  INFO(via_b.body);
  CHECK(via_b.status == 429);
  auto err = parse_json(via_b.body);
  REQUIRE(err.is_object());
  CHECK(err.as_object().at("error").as_object().at("code") == "quota_exceeded");
}
