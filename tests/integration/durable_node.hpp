#pragma once
// A cluster node of the tests that restart nodes: it keeps its cluster port (its node id) and
// a data directory of its own across restarts, and runs on the durable store (or, with
// `durable` false, the memory engine). Loopback only.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sy::test {

struct durable_node {
  std::uint16_t cluster_port = free_port();
  bool durable = true;             // storage.engine = rocksdb in `dir`/store (else memory)
  std::vector<std::string> extra;  // more serve arguments (e.g. --set cluster.replicas=1)
  std::string dir;
  std::unique_ptr<daemon_process> d;

  durable_node() {
    std::string tmpl =
      (std::filesystem::temp_directory_path() / "sy-durable-node-XXXXXX").string();
    if (::mkdtemp(tmpl.data()))
      dir = tmpl;
  }
  ~durable_node() {
    d.reset(); // the daemon first: it holds the store open
    std::error_code ec;
    if (!dir.empty())
      std::filesystem::remove_all(dir, ec);
  }
  durable_node(const durable_node&) = delete;
  durable_node& operator=(const durable_node&) = delete;

  std::string id() const {
    return "127.0.0.1:" + std::to_string(cluster_port);
  }
  /// Starts (or restarts) the daemon, joining `join` unless it is empty.
  void start(const std::string& join) {
    std::vector<std::string> args{"--cluster-port", std::to_string(cluster_port)};
    if (durable)
      args.insert(args.end(), {"--set", "storage.engine=rocksdb", "--set",
                               "storage.dir=" + dir + "/store"});
    args.insert(args.end(), extra.begin(), extra.end());
    if (!join.empty()) {
      args.push_back("--join");
      args.push_back(join);
    }
    d = std::make_unique<daemon_process>(args);
  }
  void kill9() {
    d->terminate(SIGKILL);
    REQUIRE(d->wait_exit(5s).has_value());
  }
};

/// GET /v1/cluster (plus `query`) on the node.
inline json::object cluster_listing(const durable_node& n, const std::string& query = "") {
  http_client h(n.d->port());
  auto r = h.request("GET", "/v1/cluster" + query);
  REQUIRE(r.status == 200);
  return parse_json(r.body).as_object();
}

} // namespace sy::test
