#include "ws_client.hpp"

#include "sock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sy::bench {

namespace {

// Masks need to be unpredictable to proxies, not cryptographic: a fast PRNG is enough here.
uint32_t next_random() {
  static std::minstd_rand rng{std::random_device{}()};
  return static_cast<uint32_t>(rng());
}

std::string base64(const unsigned char* p, std::size_t n) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(p[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(p[i + 1]) << 8;
    if (i + 2 < n) v |= p[i + 2];
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < n ? tbl[(v >> 6) & 63] : '=';
    out += i + 2 < n ? tbl[v & 63] : '=';
  }
  return out;
}

constexpr std::size_t max_frame_bytes = 16u << 20;  // anything bigger is a framing bug

} // namespace

bool ws_conn::start(int epfd, uint64_t tag, const sockaddr_in& src, const sockaddr_in& dst,
                    const std::string& host_port, const std::string& path) {
  close_now();
  in_.clear();
  msg_.clear();
  out_.clear();
  epfd_ = epfd;
  tag_ = tag;
  fd_ = connect_nonblocking(&src, dst);
  if (fd_ < 0) {
    state_ = state::closed;
    return false;
  }
  unsigned char key[16];
  for (int i = 0; i < 16; i += 4) {
    uint32_t r = next_random();
    std::memcpy(key + i, &r, 4);
  }
  // The Sec-WebSocket-Accept answer is not verified: the peers are trusted local servers and a
  // SHA-1 would only add code; the 101 status is what tells us the upgrade happened.
  out_ = "GET " + path + " HTTP/1.1\r\nHost: " + host_port +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
         base64(key, 16) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  state_ = state::connecting;
  want_write_ = true;
  if (!epoll_set(epfd_, fd_, tag_, true, true)) {
    close_now();
    return false;
  }
  return true;
}

void ws_conn::close_now() {
  if (fd_ >= 0) {
    ::close(fd_);  // also removes it from the epoll set
    fd_ = -1;
  }
  if (state_ != state::idle) state_ = state::closed;
  // Release buffers: a closed connection should not hold memory for the rest of the run.
  std::string().swap(out_);
  std::string().swap(in_);
  std::string().swap(msg_);
}

void ws_conn::fail(ws_handler& h, std::size_t id, const char* why) {
  if (state_ == state::closed) return;
  close_now();
  h.on_ws_closed(id, why);
}

bool ws_conn::write_or_queue(const char* p, std::size_t n) {
  if (fd_ < 0) return false;
  if (out_.empty() && state_ != state::connecting) {
    ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      w = 0;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
    if (n == 0) return true;
  }
  out_.append(p, n);
  if (!want_write_) {
    want_write_ = true;
    epoll_set(epfd_, fd_, tag_, true, false);
  }
  return true;
}

bool ws_conn::flush() {
  while (!out_.empty()) {
    ssize_t w = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      return false;
    }
    out_.erase(0, static_cast<std::size_t>(w));
  }
  if (want_write_) {
    want_write_ = false;
    epoll_set(epfd_, fd_, tag_, false, false);
  }
  return true;
}

bool ws_conn::send_frame(uint8_t opcode, const char* payload, std::size_t len) {
  if (state_ != state::open) return false;
  char hdr[14];
  std::size_t h = 0;
  hdr[h++] = static_cast<char>(0x80 | opcode);
  if (len < 126) {
    hdr[h++] = static_cast<char>(0x80 | len);
  } else if (len <= 0xffff) {
    hdr[h++] = static_cast<char>(0x80 | 126);
    hdr[h++] = static_cast<char>(len >> 8);
    hdr[h++] = static_cast<char>(len);
  } else {
    hdr[h++] = static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) hdr[h++] = static_cast<char>(static_cast<uint64_t>(len) >> (8 * i));
  }
  uint32_t mask = next_random();
  unsigned char m[4];
  std::memcpy(m, &mask, 4);
  std::memcpy(hdr + h, m, 4);
  h += 4;
  std::string frame(hdr, h);
  frame.resize(h + len);
  for (std::size_t i = 0; i < len; ++i) frame[h + i] = static_cast<char>(payload[i] ^ m[i & 3]);
  return write_or_queue(frame.data(), frame.size());
}

bool ws_conn::send_text(std::string_view payload) {
  return send_frame(0x1, payload.data(), payload.size());
}

void ws_conn::on_frame(ws_handler& h, std::size_t id, bool fin, uint8_t op, const char* p,
                       std::size_t n) {
  switch (op) {
    case 0x0:  // continuation
      if (msg_opcode_ == 0) return fail(h, id, "continuation without a first fragment");
      msg_.append(p, n);
      if (fin) {
        msg_opcode_ = 0;
        h.on_ws_message(id, msg_.data(), msg_.size());
        msg_.clear();
      }
      return;
    case 0x1:
    case 0x2:
      if (msg_opcode_ != 0) return fail(h, id, "new message inside a fragmented one");
      if (fin) {
        h.on_ws_message(id, p, n);
      } else {
        msg_opcode_ = op;
        msg_.assign(p, n);
      }
      return;
    case 0x8: {  // close: echo the code, then drop the socket
      char why[64];
      unsigned code = n >= 2 ? (static_cast<unsigned char>(p[0]) << 8 | static_cast<unsigned char>(p[1])) : 1005;
      std::snprintf(why, sizeof why, "server close %u", code);
      send_frame(0x8, p, n >= 2 ? 2 : 0);
      return fail(h, id, why);
    }
    case 0x9:
      send_frame(0xA, p, n);
      return;
    case 0xA:
      return;
    default:
      return fail(h, id, "unknown opcode");
  }
}

std::size_t ws_conn::parse_frames(ws_handler& h, std::size_t id, const char* p, std::size_t n) {
  std::size_t off = 0;
  std::string unmasked;
  while (n - off >= 2 && state_ == state::open) {
    auto b0 = static_cast<unsigned char>(p[off]);
    auto b1 = static_cast<unsigned char>(p[off + 1]);
    bool masked = b1 & 0x80;
    uint64_t len = b1 & 0x7f;
    std::size_t hdr = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = static_cast<uint64_t>(static_cast<unsigned char>(p[off + 2])) << 8 |
            static_cast<unsigned char>(p[off + 3]);
      hdr = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = len << 8 | static_cast<unsigned char>(p[off + 2 + i]);
      hdr = 10;
    }
    if (len > max_frame_bytes) {
      fail(h, id, "frame too large");
      return n;
    }
    std::size_t mask_at = off + hdr;
    if (masked) hdr += 4;  // servers must not mask, but tolerate it
    if (n - off < hdr + len) break;
    const char* payload = p + off + hdr;
    if (masked) {
      unmasked.assign(payload, len);
      for (std::size_t i = 0; i < len; ++i) unmasked[i] ^= p[mask_at + (i & 3)];
      payload = unmasked.data();
    }
    on_frame(h, id, b0 & 0x80, b0 & 0x0f, payload, len);
    off += hdr + len;
  }
  return off;
}

void ws_conn::on_bytes(ws_handler& h, std::size_t id, const char* p, std::size_t n) {
  if (state_ == state::upgrading) {
    in_.append(p, n);
    auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (in_.size() > 16384) fail(h, id, "upgrade response too large");
      return;
    }
    if (in_.compare(0, 12, "HTTP/1.1 101") != 0) {
      char why[96];
      auto eol = in_.find("\r\n");
      std::snprintf(why, sizeof why, "upgrade refused: %.60s", in_.substr(0, eol).c_str());
      return fail(h, id, why);
    }
    in_.erase(0, end + 4);
    state_ = state::open;
    h.on_ws_open(id);
    if (state_ != state::open || in_.empty()) return;
    std::string rest;
    rest.swap(in_);
    std::size_t used = parse_frames(h, id, rest.data(), rest.size());
    if (state_ == state::open) in_.assign(rest, used, std::string::npos);
    return;
  }
  // Fast path: no partial frame pending, parse straight from the shared read buffer.
  if (in_.empty()) {
    std::size_t used = parse_frames(h, id, p, n);
    if (state_ == state::open && used < n) in_.assign(p + used, n - used);
    return;
  }
  in_.append(p, n);
  std::size_t used = parse_frames(h, id, in_.data(), in_.size());
  if (state_ == state::open) in_.erase(0, used);
}

void ws_conn::handle(uint32_t events, ws_handler& h, std::size_t id, char* scratch,
                     std::size_t cap) {
  if (fd_ < 0) return;
  if (state_ == state::connecting) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(h, id, std::strerror(err));
    state_ = state::upgrading;
  }
  if (events & EPOLLOUT) {
    if (!flush()) return fail(h, id, "write failed");
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
    // One read per wakeup (level-triggered): keeps the loop fair across 10k connections.
    ssize_t r = ::recv(fd_, scratch, cap, 0);
    if (r > 0) {
      on_bytes(h, id, scratch, static_cast<std::size_t>(r));
    } else if (r == 0) {
      fail(h, id, "server closed the connection");
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      fail(h, id, std::strerror(errno));
    }
  }
}

} // namespace sy::bench
