#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sy::bench {

enum class target_kind { switchyard, nchan, ws };

struct options {
  target_kind target = target_kind::switchyard;
  std::string host = "127.0.0.1";
  int port = 9009;
  std::string topic = "bench";
  std::string token;                      // switchyard: JWT for /realtime
  std::string api_key = "switchyard-dev-key";
  std::size_t subscribers = 100;
  int source_addrs = 8;                   // clients bind to 127.0.0.1 .. 127.0.0.K
  std::size_t events = 100;
  std::size_t concurrency = 32;           // closed loop: requests in flight; rate mode: max pool
  double rate = 0;                        // events/s; 0 = closed loop at max rate
  std::size_t payload_bytes = 100;        // size of the published data JSON value
  // > 1: event i goes to channel "<topic>.<i mod channels>" (switchyard, no subscribers):
  // the retention scenarios fill many channels.
  std::size_t channels = 1;
  bool unique_keys = false;               // each publish carries its own idempotencyKey
  double connect_rate = 4000;             // new connections per second
  std::size_t max_pending_connects = 512; // handshakes in flight at once
  double deadline_s = 60;                 // bound of every phase
  double drain_s = -1;                    // wait for stragglers after the last publish (-1: deadline)
  double settle_s = 0.5;                  // after all subscribed, before measuring RSS
  double idle_s = 0;                      // > 0: idle mode (scenario 4), no publishing
  // Non-empty: room join-storm mode (room_storm.hpp): `members` connections join this room,
  // spread evenly over `join_within_ms`; no publishing.
  std::string room;
  std::size_t members = 2000;
  double join_within_ms = 2000;
  std::vector<int> server_pids;
};

// Parses argv; on error prints usage to stderr and returns false.
bool parse_options(int argc, char** argv, options& out);

const char* target_name(target_kind t);

} // namespace sy::bench
