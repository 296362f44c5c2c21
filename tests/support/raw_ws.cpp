#include "support/raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

namespace sy::test::raw {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::array<std::uint8_t, 4> mask_key{0x5a, 0x0f, 0xc3, 0x96};

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

} // namespace

std::string frame(const frame_spec& spec, std::string_view payload) {
  std::uint64_t n = spec.declared_length ? *spec.declared_length : payload.size();
  auto form = spec.form;
  if (form == length_form::shortest)
    form = n < 126 ? length_form::bits7 : n <= 0xffff ? length_form::bits16 : length_form::bits64;
  std::string out;
  out.push_back(static_cast<char>((spec.fin ? 0x80 : 0) | ((spec.rsv & 7) << 4)
                                  | (spec.opcode & 0x0f)));
  auto mask_bit = spec.masked ? 0x80 : 0;
  switch (form) {
    case length_form::bits7:
      out.push_back(static_cast<char>(mask_bit | (n & 0x7f)));
      break;
    case length_form::bits16:
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>((n >> 8) & 0xff));
      out.push_back(static_cast<char>(n & 0xff));
      break;
    default:
      out.push_back(static_cast<char>(mask_bit | 127));
      for (int i = 7; i >= 0; --i)
        out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
      break;
  }
  if (!spec.masked)
    return out.append(payload);
  for (auto m : mask_key)
    out.push_back(static_cast<char>(m));
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask_key[i & 3]));
  return out;
}

std::string text(std::string_view payload, bool fin) {
  frame_spec s;
  s.fin = fin;
  return frame(s, payload);
}

std::string continuation(std::string_view payload, bool fin) {
  frame_spec s;
  s.opcode = op_continuation;
  s.fin = fin;
  return frame(s, payload);
}

std::string binary(std::string_view payload, bool fin) {
  frame_spec s;
  s.opcode = op_binary;
  s.fin = fin;
  return frame(s, payload);
}

std::string ping(std::string_view payload) {
  frame_spec s;
  s.opcode = op_ping;
  return frame(s, payload);
}

std::string pong(std::string_view payload) {
  frame_spec s;
  s.opcode = op_pong;
  return frame(s, payload);
}

std::string close(std::uint16_t code, std::string_view reason) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  p.append(reason);
  return close_payload(p);
}

std::string close_payload(std::string_view payload) {
  frame_spec s;
  s.opcode = op_close;
  return frame(s, payload);
}

int server_frame::close_code() const {
  if (payload.size() < 2)
    return 0;
  return (static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]);
}

std::string server_frame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : std::string();
}

client::~client() {
  close_socket();
}

void client::close_socket() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
}

bool client::connect(std::uint16_t port, const std::string& target,
                     std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) {
    error_ = std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // one write, one segment
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = std::string("connect: ") + std::strerror(errno);
    return false;
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n";
  if (!send(req))
    return false;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos)
    if (!fill(deadline)) {
      error_ = "no upgrade response: " + error_;
      return false;
    }
  auto head = in_.substr(0, end);
  in_.erase(0, end + 4);
  if (head.rfind("HTTP/1.1 101", 0) != 0) {
    error_ = "upgrade refused: " + head.substr(0, head.find("\r\n"));
    return false;
  }
  return true;
}

bool client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool client::send_chopped(std::string_view bytes, std::size_t chunk,
                          std::chrono::milliseconds gap) {
  for (std::size_t pos = 0; pos < bytes.size(); pos += chunk) {
    if (pos > 0 && gap.count() > 0)
      std::this_thread::sleep_for(gap);
    if (!send(bytes.substr(pos, chunk)))
      return false;
  }
  return true;
}

bool client::fill(clock_type::time_point deadline) {
  if (fd_ < 0 || ended_)
    return false;
  pollfd p{fd_, POLLIN, 0};
  int r;
  while ((r = ::poll(&p, 1, remaining_ms(deadline))) < 0 && errno == EINTR) {
  }
  if (r <= 0) {
    error_ = "timeout";
    return false;
  }
  char buf[16384];
  auto n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    ended_ = true;
    error_ = n == 0 ? "eof" : std::string("recv: ") + std::strerror(errno);
    return false;
  }
  in_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<server_frame> client::read_frame(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (in_.size() >= 2) {
      auto b0 = static_cast<std::uint8_t>(in_[0]);
      auto b1 = static_cast<std::uint8_t>(in_[1]);
      std::uint64_t len = b1 & 0x7f;
      std::size_t pos = 2;
      bool have_header = true;
      if (len == 126) {
        have_header = in_.size() >= 4;
        if (have_header) {
          len = (std::uint64_t{static_cast<std::uint8_t>(in_[2])} << 8)
                | static_cast<std::uint8_t>(in_[3]);
          pos = 4;
        }
      } else if (len == 127) {
        have_header = in_.size() >= 10;
        if (have_header) {
          len = 0;
          for (int i = 0; i < 8; ++i)
            len = (len << 8) | static_cast<std::uint8_t>(in_[2 + i]);
          pos = 10;
        }
      }
      bool masked = (b1 & 0x80) != 0;
      std::size_t mask_pos = pos;
      if (masked)
        pos += 4;
      if (have_header && in_.size() >= pos && in_.size() - pos >= len) {
        server_frame f;
        f.fin = (b0 & 0x80) != 0;
        f.rsv = (b0 >> 4) & 7;
        f.opcode = b0 & 0x0f;
        f.masked = masked;
        f.minimal_length = mask_pos == 2 ? true : mask_pos == 4 ? len >= 126 : len > 0xffff;
        f.payload = in_.substr(pos, static_cast<std::size_t>(len));
        if (masked)
          for (std::size_t i = 0; i < f.payload.size(); ++i)
            f.payload[i] = static_cast<char>(f.payload[i] ^ in_[mask_pos + (i & 3)]);
        in_.erase(0, pos + static_cast<std::size_t>(len));
        return f;
      }
    }
    if (!fill(deadline))
      return std::nullopt;
  }
}

bool client::wait_eof(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (!ended_) {
    in_.clear();
    if (!fill(deadline) && !ended_)
      return false;
  }
  return true;
}

} // namespace sy::test::raw
