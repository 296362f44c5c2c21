#pragma once
// Synchronous HTTP/1.1 test client with keep-alive; Beast stays inside beast_clients.cpp.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sy::test {

struct http_response {
  int status = 0; // 0: transport failure (see body for the error text)
  std::string body;
  std::map<std::string, std::string> headers; // lower-cased names
};

class http_client {
public:
  explicit http_client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request on the kept-alive connection (reconnecting once if the server closed it).
  http_response request(const std::string& method, const std::string& target,
                        const std::string& body = {},
                        const std::vector<std::pair<std::string, std::string>>& headers = {});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sy::test
