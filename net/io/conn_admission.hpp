#pragma once
// Who may hold a connection: at most http.max_connections served connections, at most
// http.max_connections_per_ip of them from one address, and http.loopback_reserve more for
// loopback clients only, which may ask for GET /healthz or /metrics and nothing else.
//
// Why a reserve: monitoring runs on the host, and without one a single address could take
// every slot (16,384 idle sockets) and /healthz answered 503 until they timed out. Loopback is
// an address like any other (its per-address limit applies to its served connections), so the
// reserve is what keeps a probe in. When the reserve is full too, the oldest reserve connection
// makes room (the caller closes it): a peer holding idle reserve sockets cannot keep a probe out.
//
// Pure bookkeeping, no I/O: conn_registry owns one and calls it on one thread.
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace sy {

struct admission_limits {
  std::size_t max_connections = 16384; // served connections, every address
  std::size_t max_per_address = 1024;  // served connections from one address
  std::size_t loopback_reserve = 8;    // more, for loopback health and metrics probes
};

enum class admission : std::uint8_t {
  served,          // a normal connection
  reserve_total,   // loopback over http.max_connections: /healthz and /metrics only
  reserve_address, // loopback over http.max_connections_per_ip: the same
  refused_total,   // 503 too_many_connections, then close
  refused_address, // 503 too_many_connections (per address), then close
};

inline bool is_reserve(admission a) {
  return a == admission::reserve_total || a == admission::reserve_address;
}
inline bool is_refused(admission a) {
  return a == admission::refused_total || a == admission::refused_address;
}

class conn_admission {
public:
  struct decision {
    admission kind = admission::refused_total;
    bool evict_oldest_reserve = false; // reserve full: the caller closes its oldest member
  };

  explicit conn_admission(admission_limits limits) : limits_(limits) {
  }

  /// Decides for a new connection from `addr` and counts it (served or reserve) until
  /// release(). With evict_oldest_reserve and nothing to evict, the caller must call
  /// release() and refuse (refusal_for()).
  decision admit(const boost::asio::ip::address& addr);
  void release(const boost::asio::ip::address& addr, admission kind);

  std::size_t served() const {
    return served_;
  }
  std::size_t reserved() const {
    return reserved_;
  }
  std::size_t served_from(const boost::asio::ip::address& addr) const;

  /// The refusal a reserve connection turns into when it cannot be placed.
  static admission refusal_for(admission reserve_kind) {
    return reserve_kind == admission::reserve_total ? admission::refused_total
                                                    : admission::refused_address;
  }
  /// An IPv4-mapped IPv6 address as IPv4, so a dual-stack listener counts one client once.
  static boost::asio::ip::address canonical(const boost::asio::ip::address& addr);

private:
  admission_limits limits_;
  std::size_t served_ = 0;
  std::size_t reserved_ = 0;
  std::unordered_map<boost::asio::ip::address, std::size_t> per_address_;
};

} // namespace sy
