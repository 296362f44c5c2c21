#pragma once
// TLS test clients (wss:// and https://) and a throwaway certificate. Beast and OpenSSL stay in
// tls_clients.cpp; the plain clients (ws_client.hpp, http_client.hpp) are untouched.
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "support/http_client.hpp"
#include "support/ws_client.hpp"

namespace sy::test {

/// A self-signed EC P-256 certificate for CN=localhost, SAN IP:127.0.0.1 and DNS:localhost,
/// made with the openssl CLI in a fresh temporary directory (removed on destruction).
class test_certificate {
public:
  /// Throws std::runtime_error with openssl's output when generation fails.
  test_certificate();
  ~test_certificate();
  test_certificate(const test_certificate&) = delete;
  test_certificate& operator=(const test_certificate&) = delete;

  const std::string& cert_file() const { return cert_; }
  const std::string& key_file() const { return key_; }
  const std::string& dir() const { return dir_; }

private:
  std::string dir_, cert_, key_;
};

struct tls_client_options {
  std::string ca_file;   // the PEM to trust; "" = trust nothing (a self-signed server fails)
  header_list headers;   // extra request headers
  int rcvbuf_bytes = 0;  // >0: SO_RCVBUF before connect (slow-consumer tests)
  std::chrono::milliseconds timeout = 5s; // TCP connect + TLS handshake + HTTP exchange
};

/// WebSocket over TLS with certificate and host name (127.0.0.1) verification. Every wait is
/// bounded; a read that times out stays pending for the next read.
class wss_client {
public:
  wss_client();
  ~wss_client();
  wss_client(wss_client&&) noexcept;
  wss_client& operator=(wss_client&&) noexcept;

  /// 101 on success, the HTTP status of a refused upgrade, 0 when TCP or TLS failed.
  int connect(std::uint16_t port, const std::string& target, const tls_client_options& opts);
  std::string last_error() const;

  bool send_text(const std::string& text);
  std::optional<std::string> read_text(std::chrono::milliseconds timeout = 3s);
  /// Next frame as JSON; null on timeout/close, a JSON string when the frame is not JSON.
  boost::json::value read_json(std::chrono::milliseconds timeout = 3s);
  /// Sends a close frame and waits (bounded) for the close handshake and TLS shutdown.
  void close(int code = 1000);
  bool is_open() const;
  std::optional<close_status> closed() const;
  std::optional<close_status> wait_closed(std::chrono::milliseconds timeout,
                                          std::size_t* frames_discarded = nullptr);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// One HTTPS request on a fresh connection. status 0: TCP/TLS failure (body holds the error).
http_response https_request(std::uint16_t port, const tls_client_options& opts,
                            const std::string& method, const std::string& target,
                            const std::string& body = {}, const header_list& headers = {});

struct tls_raw_result {
  std::string received;  // every byte the server sent, decrypted
  bool closed = false;   // the server ended the connection (close_notify, EOF or reset)
  std::string error;     // set when TCP or the TLS handshake failed
};

/// A TLS connection that sends bytes exactly as given (any HTTP framing, malformed included)
/// and reads only when asked: a client that never reads its reply is one that never calls
/// read_for().
class tls_raw_conn {
public:
  /// Connects and completes the handshake; error() says why when it failed.
  tls_raw_conn(std::uint16_t port, const tls_client_options& opts);
  ~tls_raw_conn();
  tls_raw_conn(const tls_raw_conn&) = delete;
  tls_raw_conn& operator=(const tls_raw_conn&) = delete;

  const std::string& error() const;
  bool send(const std::string& bytes, std::chrono::milliseconds limit = 3s);
  /// Reads until the server ends the connection, `until` has been received (when not empty),
  /// or `limit` passes; everything so far is in result().received.
  const tls_raw_result& read_for(std::chrono::milliseconds limit, const std::string& until = "");
  const tls_raw_result& result() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Sends `bytes` on a new tls_raw_conn, then reads until the server ends the connection or
/// `limit` passes.
tls_raw_result tls_raw_exchange(std::uint16_t port, const tls_client_options& opts,
                                const std::string& bytes, std::chrono::milliseconds limit);

/// Completes a TLS handshake, sends nothing, and returns the milliseconds until the server
/// ends the connection; -1 when it is still open after `limit`, -2 when the handshake failed.
std::int64_t ms_until_dropped_after_handshake(std::uint16_t port, const tls_client_options& opts,
                                              std::chrono::milliseconds limit);

} // namespace sy::test
