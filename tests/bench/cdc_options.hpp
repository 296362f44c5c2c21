#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sy::bench {

// sy_cdcbench's settings (scripts/bench.sh --cdc, BENCHMARKS.md *Change capture*).
struct cdc_options {
  std::string host = "127.0.0.1";
  int port = 9009;                  // Switchyard
  std::string token;                // JWT granting the workspace (gateway subscriber)
  std::string api_key;              // publish credential of the REST peer phases
  std::string dsn;                  // the PostgreSQL the source streams from
  std::string workspace = "acme";
  std::string table = "products";   // (n int primary key, name text, price numeric)
  std::string slot;                 // the source's slot: wait until it is active
  std::size_t rows = 100000;        // A: rows of the one INSERT transaction (and REST events)
  double rate = 1000;               // B: changes per second ...
  double seconds = 20;              // ... for this long
  std::size_t max_txn_rows = 50;    // B: a transaction catches up at most this many due rows
  std::size_t rest_concurrency = 16;
  double deadline_s = 60;           // bound of every phase
  std::vector<int> server_pids;
};

bool parse_cdc_options(int argc, char** argv, cdc_options& out);

} // namespace sy::bench
