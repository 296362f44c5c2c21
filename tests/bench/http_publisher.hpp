#pragma once

#include <cstddef>
#include <cstdint>
#include <netinet/in.h>
#include <string>

namespace sy::bench {

class http_handler {
public:
  // status 0 never happens here: failures go to on_http_failed.
  virtual void on_http_response(std::size_t id, int status) = 0;
  // The request in flight (if any) is lost; the connection reconnects on the next send.
  virtual void on_http_failed(std::size_t id, const char* why) = 0;

protected:
  ~http_handler() = default;
};

// HTTP/1.1 keep-alive client connection with one request in flight (no pipelining: the
// closed-loop concurrency is the number of connections). Understands Content-Length and
// chunked responses; reconnects by itself when the server closed the connection.
class http_conn {
public:
  void init(int epfd, uint64_t tag, const sockaddr_in& dst) {
    epfd_ = epfd;
    tag_ = tag;
    dst_ = dst;
  }
  // Sends a complete request; false when no connection could be opened.
  bool send(const std::string& request);
  void handle(uint32_t events, http_handler& h, std::size_t id, char* scratch, std::size_t cap);
  bool busy() const { return busy_; }
  void close_now();

private:
  bool ensure_connected();
  bool flush();
  void fail(http_handler& h, std::size_t id, const char* why);
  // Returns true when in_ holds a complete response; sets status and the bytes it spans.
  bool parse_response(int& status, std::size_t& total, bool& close_after);

  int fd_ = -1;
  int epfd_ = -1;
  uint64_t tag_ = 0;
  sockaddr_in dst_{};
  bool connecting_ = false;
  bool want_write_ = false;
  bool busy_ = false;
  std::string out_;
  std::string in_;
};

} // namespace sy::bench
