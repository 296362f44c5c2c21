#pragma once
// Helpers of the cluster tests: nodes on free loopback ports, three of them joined through
// each other, the cluster listing and a channel's owner.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sy::test {

struct node {
  std::uint16_t cluster_port = 0;
  std::unique_ptr<daemon_process> d;
  std::string id() const {
    return "127.0.0.1:" + std::to_string(cluster_port);
  }
};

inline void start(node& n, const std::string& join) {
  std::vector<std::string> args{"--cluster-port", std::to_string(n.cluster_port)};
  if (!join.empty()) {
    args.push_back("--join");
    args.push_back(join);
  }
  n.d = std::make_unique<daemon_process>(args);
}

inline json::object cluster_listing(const node& n, const std::string& query = "") {
  http_client h(n.d->port());
  auto r = h.request("GET", "/v1/cluster" + query);
  REQUIRE(r.status == 200);
  return parse_json(r.body).as_object();
}

// Every node lists every other as "up" (bounded).
inline void wait_converged(const std::vector<node*>& nodes) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (true) {
    bool all = true;
    for (auto* n : nodes) {
      auto l = cluster_listing(*n);
      std::size_t up = 0;
      for (const auto& m : l.at("members").as_array())
        up += m.as_object().at("state") == "up" ? 1 : 0;
      all = all && up == nodes.size();
    }
    if (all)
      return;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
}

inline std::string owner_of(const node& n, const std::string& channel) {
  return field_s(cluster_listing(n, "?channel=" + channel), "owner");
}

struct trio {
  node a, b, c;
  trio() {
    a.cluster_port = free_port();
    b.cluster_port = free_port();
    c.cluster_port = free_port();
    start(a, "");
    start(b, a.id());
    start(c, b.id()); // knows only b: learns a through it
    wait_converged({&a, &b, &c});
  }
  node& by_id(const std::string& id) {
    return id == a.id() ? a : id == b.id() ? b : c;
  }
};

} // namespace sy::test
