#include "cdc_options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <cstring>

namespace sy::bench {

namespace {

void usage() {
  std::fprintf(stderr,
    "usage: sy_cdcbench --port P --token JWT --api-key K --dsn DSN --slot S [options]\n"
    "  --host H              Switchyard address (127.0.0.1)\n"
    "  --workspace W         the source's workspace (acme)\n"
    "  --table T             the captured table: (n int primary key, name text, price numeric)\n"
    "  --rows N              A: rows in one INSERT transaction, and REST events (100000)\n"
    "  --rate R              B: changes per second (1000)\n"
    "  --seconds S           B: duration (20)\n"
    "  --max-txn-rows K      B: rows one transaction may carry when catching up (50)\n"
    "  --rest-concurrency C  REST phases: connections (16)\n"
    "  --deadline-s S        bound of every phase (60)\n"
    "  --server-pid P        the Switchyard process to sample (CPU)\n");
}

} // namespace

bool parse_cdc_options(int argc, char** argv, cdc_options& o) {
  for (int i = 1; i < argc; ++i) {
    const char* k = argv[i];
    if (i + 1 >= argc) {
      usage();
      return false;
    }
    const char* v = argv[++i];
    auto is = [&](const char* name) { return std::strcmp(k, name) == 0; };
    if (is("--host")) o.host = v;
    else if (is("--port")) o.port = std::atoi(v);
    else if (is("--token")) o.token = v;
    else if (is("--api-key")) o.api_key = v;
    else if (is("--dsn")) o.dsn = v;
    else if (is("--workspace")) o.workspace = v;
    else if (is("--table")) o.table = v;
    else if (is("--slot")) o.slot = v;
    else if (is("--rows")) o.rows = std::strtoull(v, nullptr, 10);
    else if (is("--rate")) o.rate = std::atof(v);
    else if (is("--seconds")) o.seconds = std::atof(v);
    else if (is("--max-txn-rows")) o.max_txn_rows = std::strtoull(v, nullptr, 10);
    else if (is("--rest-concurrency")) o.rest_concurrency = std::strtoull(v, nullptr, 10);
    else if (is("--deadline-s")) o.deadline_s = std::atof(v);
    else if (is("--server-pid")) o.server_pids.push_back(std::atoi(v));
    else {
      std::fprintf(stderr, "unknown option %s\n", k);
      usage();
      return false;
    }
  }
  // Names go into SQL and URLs unquoted: keep them to identifier characters.
  auto ident = [](const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
    return true;
  };
  if (o.port <= 0 || o.token.empty() || o.api_key.empty() || o.dsn.empty() || !ident(o.slot) ||
      !ident(o.table) || !ident(o.workspace) || o.rows == 0 || o.rate <= 0 || o.seconds <= 0 ||
      o.max_txn_rows == 0 || o.rest_concurrency == 0 || o.deadline_s <= 0 ||
      o.server_pids.empty()) {
    usage();
    return false;
  }
  return true;
}

} // namespace sy::bench
