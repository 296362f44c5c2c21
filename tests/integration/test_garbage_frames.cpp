// Random bytes after a real handshake must never take the daemon down or disturb others:
// each bad connection ends with a close code (or a drop), everyone else keeps being served.
// Bounded: 40 connections, fixed seed, every wait has a deadline.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <string>

using namespace sy::test;

namespace {

// A raw TCP connection that completed the WebSocket handshake; -1 on failure.
int raw_upgrade(std::uint16_t port, const std::string& token) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  std::string req = "GET /realtime?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return -1;
  }
  std::string resp;
  char buf[1024];
  pollfd p{fd, POLLIN, 0};
  while (resp.find("\r\n\r\n") == std::string::npos && ::poll(&p, 1, 3000) > 0) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      break;
    resp.append(buf, static_cast<std::size_t>(n));
  }
  if (resp.rfind("HTTP/1.1 101", 0) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

} // namespace

TEST_CASE("random bytes after the handshake never disturb the daemon",
          "[integration][malformed][robustness]") {
  daemon_process d;
  auto bystander = connect_fabric(d, "bystander");
  std::mt19937 rng(20261123);
  auto token = token_for("fuzz");
  int upgraded = 0;
  for (int conn = 0; conn < 40; ++conn) {
    int fd = raw_upgrade(d.port(), token);
    if (fd < 0)
      continue;
    ++upgraded;
    std::string junk;
    // Mix plausible frame headers (masked, random opcode/length) with pure noise.
    for (int i = 0; i < 8; ++i) {
      if (rng() % 2) {
        junk.push_back(static_cast<char>(rng() & 0xff));
        junk.push_back(static_cast<char>(0x80 | (rng() % 128)));
        for (int m = 0; m < 4; ++m)
          junk.push_back(static_cast<char>(rng() & 0xff));
      }
      std::size_t n = rng() % 64;
      for (std::size_t k = 0; k < n; ++k)
        junk.push_back(static_cast<char>(rng() & 0xff));
    }
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    // Read until the server closes (or 2 s): it must not hang forever on garbage either.
    pollfd p{fd, POLLIN, 0};
    char buf[512];
    for (int r = 0; r < 50 && ::poll(&p, 1, 100) >= 0; ++r) {
      if (p.revents & (POLLIN | POLLHUP)) {
        auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
          break;
      }
    }
    ::close(fd);
  }
  CHECK(upgraded == 40);
  http_client h(d.port());
  CHECK(h.request("GET", "/healthz", "", {}).status == 200);
  bystander.send_text(R"({"op":"ping"})");
  CHECK(to_text(next_object(bystander)) == R"({"op":"pong"})");
}
