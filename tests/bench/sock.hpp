#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <vector>

namespace sy::bench {

// Opens a non-blocking TCP socket, binds it to src (when given) and starts connect() to dst.
// Returns the fd (connect in progress or done) or -1 with errno set.
int connect_nonblocking(const sockaddr_in* src, const sockaddr_in& dst);

// Fills addr from a dotted IPv4 string and a port; false when the string is not IPv4.
bool make_addr(const char* ip, int port, sockaddr_in& addr);

// Source addresses 127.0.0.1 .. 127.0.0.n (port 0): spreading connections over them lifts the
// 64k ephemeral ports per source address.
std::vector<sockaddr_in> loopback_sources(int n);

// Registers / updates fd in epfd with the tag in data.u64 (level-triggered).
bool epoll_set(int epfd, int fd, uint64_t tag, bool want_write, bool add);

} // namespace sy::bench
