#include "options.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sy::bench {

namespace {

void usage() {
  std::fprintf(stderr,
    "usage: sy_loadgen --target switchyard|nchan|ws --port P [options]\n"
    "  --host H              server address (127.0.0.1)\n"
    "  --topic T             channel (bench)\n"
    "  --token JWT           switchyard subscribe token\n"
    "  --api-key K           switchyard publish credential\n"
    "  --subscribers N       WebSocket subscribers (100)\n"
    "  --source-addrs K      spread clients over 127.0.0.1..127.0.0.K (8)\n"
    "  --events M            events to publish (100)\n"
    "  --concurrency C       closed loop: requests in flight; with --rate: connection pool (32)\n"
    "  --rate R              fixed publish rate in events/s (0 = closed loop, max rate)\n"
    "  --payload-bytes B     size of the published data value (100)\n"
    "  --channels K          switchyard, no subscribers: event i to <topic>.<i mod K> (1)\n"
    "  --unique-keys 0|1     switchyard: a distinct idempotencyKey per publish (0)\n"
    "  --connect-rate R      new connections per second (4000)\n"
    "  --max-pending P       handshakes in flight (512)\n"
    "  --deadline-s S        bound of every phase (60)\n"
    "  --drain-s S           wait for late deliveries after the last publish (--deadline-s)\n"
    "  --settle-s S          wait after subscribing before sampling RSS (0.5)\n"
    "  --idle-s S            idle mode: subscribe, wait S, sample RSS, no publishing\n"
    "  --room R              switchyard: join-storm mode, members join room R (no publishing)\n"
    "  --members N           join-storm: connections that join the room (2000)\n"
    "  --join-within-ms MS   join-storm: joins spread evenly over this time (2000)\n"
    "  --server-pid P[,P..]  server processes to sample (CPU, RSS)\n");
}

bool parse_pids(const char* s, std::vector<int>& out) {
  while (*s) {
    char* end = nullptr;
    long v = std::strtol(s, &end, 10);
    if (end == s || v <= 0) return false;
    out.push_back(static_cast<int>(v));
    s = end;
    if (*s == ',') ++s;
  }
  return !out.empty();
}

} // namespace

const char* target_name(target_kind t) {
  switch (t) {
    case target_kind::switchyard: return "switchyard";
    case target_kind::nchan: return "nchan";
    case target_kind::ws: return "ws";
  }
  return "?";
}

bool parse_options(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const char* k = argv[i];
    if (std::strcmp(k, "--help") == 0 || std::strcmp(k, "-h") == 0) {
      usage();
      return false;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "missing value for %s\n", k);
      usage();
      return false;
    }
    const char* v = argv[++i];
    auto is = [&](const char* name) { return std::strcmp(k, name) == 0; };
    if (is("--target")) {
      if (std::strcmp(v, "switchyard") == 0) o.target = target_kind::switchyard;
      else if (std::strcmp(v, "nchan") == 0) o.target = target_kind::nchan;
      else if (std::strcmp(v, "ws") == 0) o.target = target_kind::ws;
      else { std::fprintf(stderr, "unknown target %s\n", v); return false; }
    } else if (is("--host")) o.host = v;
    else if (is("--port")) o.port = std::atoi(v);
    else if (is("--topic")) o.topic = v;
    else if (is("--token")) o.token = v;
    else if (is("--api-key")) o.api_key = v;
    else if (is("--subscribers")) o.subscribers = std::strtoull(v, nullptr, 10);
    else if (is("--source-addrs")) o.source_addrs = std::atoi(v);
    else if (is("--events")) o.events = std::strtoull(v, nullptr, 10);
    else if (is("--concurrency")) o.concurrency = std::strtoull(v, nullptr, 10);
    else if (is("--rate")) o.rate = std::atof(v);
    else if (is("--payload-bytes")) o.payload_bytes = std::strtoull(v, nullptr, 10);
    else if (is("--channels")) o.channels = std::strtoull(v, nullptr, 10);
    else if (is("--unique-keys")) o.unique_keys = std::strcmp(v, "1") == 0;
    else if (is("--connect-rate")) o.connect_rate = std::atof(v);
    else if (is("--max-pending")) o.max_pending_connects = std::strtoull(v, nullptr, 10);
    else if (is("--deadline-s")) o.deadline_s = std::atof(v);
    else if (is("--drain-s")) o.drain_s = std::atof(v);
    else if (is("--settle-s")) o.settle_s = std::atof(v);
    else if (is("--idle-s")) o.idle_s = std::atof(v);
    else if (is("--room")) o.room = v;
    else if (is("--members")) o.members = std::strtoull(v, nullptr, 10);
    else if (is("--join-within-ms")) o.join_within_ms = std::atof(v);
    else if (is("--server-pid")) {
      if (!parse_pids(v, o.server_pids)) { std::fprintf(stderr, "bad --server-pid %s\n", v); return false; }
    } else {
      std::fprintf(stderr, "unknown option %s\n", k);
      usage();
      return false;
    }
  }
  if (o.port <= 0 || o.source_addrs < 1 || o.source_addrs > 254 || o.concurrency == 0 ||
      o.connect_rate <= 0 || o.max_pending_connects == 0 || o.channels == 0) {
    usage();
    return false;
  }
  if ((o.channels > 1 || o.unique_keys) &&
      (o.target != target_kind::switchyard || o.subscribers != 0)) {
    std::fprintf(stderr, "--channels and --unique-keys need --target switchyard and --subscribers 0\n");
    return false;
  }
  if (!o.room.empty() && (o.target != target_kind::switchyard || o.members == 0 ||
                         o.join_within_ms < 0 || o.deadline_s <= 0)) {
    std::fprintf(stderr, "--room needs --target switchyard, --members > 0, --join-within-ms >= 0\n");
    return false;
  }
  return true;
}

} // namespace sy::bench
