// Request framing (RFC 9112) on both HTTP paths: the plain-TCP parser and the TLS one must
// agree with every proxy on where a request ends. Each malformed request below gets one
// refusal and the connection closes at once -- the bytes after its head never run as a second
// request (smuggling), and nothing waits for the handshake timeout (10 s here) first. The
// same table runs over raw TCP and over TLS.
#include "fixture.hpp"
#include "raw_conn.hpp"
#include "support/tls_clients.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace sy::test;
using namespace std::chrono_literals;

namespace {

struct wire_case {
  std::string name;
  std::string bytes;
  std::string status; // the one reply expected; the connection then closes
};

// A request that would show up as a second reply if it ran.
const std::string smuggled = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::string post_head(const std::string& framing, const std::string& version = "HTTP/1.1") {
  return "POST /v1/channels/framing/events " + version + "\r\nHost: 127.0.0.1\r\nAuthorization: "
         "Bearer " + test_api_key + "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

std::string upgrade(const std::string& key_lines) {
  return "GET /realtime?token=" + token_for("framing") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Upgrade: websocket\r\nConnection: Upgrade\r\n" + key_lines
         + "Sec-WebSocket-Version: 13\r\n\r\n";
}

std::vector<wire_case> refused_cases() {
  const std::string body = R"({"data":{"x":1}})";
  const std::string chunked_body = "10\r\n" + body + "\r\n0\r\n\r\n";
  const std::string cl = "Content-Length: " + std::to_string(body.size()) + "\r\n";
  std::vector<wire_case> v;
  // Transfer-Encoding whose final coding is not chunked, without Content-Length: Beast read an
  // empty body and ran what followed as the next request.
  for (const char* te : {"identity", "gzip", "xchunked", "chunked, identity", "chunked, chunked",
                         "chunked;x=1"})
    v.push_back({std::string("Transfer-Encoding: ") + te,
                 post_head(std::string("Transfer-Encoding: ") + te + "\r\n") + smuggled, "400"});
  // Chunked last, after a coding the server does not implement.
  v.push_back({"Transfer-Encoding: gzip, chunked",
               post_head("Transfer-Encoding: gzip, chunked\r\n") + chunked_body, "501"});
  // Transfer-Encoding with Content-Length, either order, any case.
  v.push_back({"TE gzip then CL", post_head("Transfer-Encoding: gzip\r\n" + cl) + body, "400"});
  v.push_back({"te gzip then cl, lower case",
               post_head("transfer-encoding: gzip\r\ncontent-length: 16\r\n") + body, "400"});
  v.push_back({"CL then TE gzip", post_head(cl + "Transfer-Encoding: gzip\r\n") + body, "400"});
  v.push_back({"TE chunked then CL",
               post_head("Transfer-Encoding: chunked\r\n" + cl) + chunked_body, "400"});
  v.push_back({"CL then TE CHUNKED",
               post_head(cl + "TRANSFER-ENCODING: CHUNKED\r\n") + chunked_body, "400"});
  v.push_back({"Transfer-Encoding in HTTP/1.0",
               post_head("Transfer-Encoding: chunked\r\n", "HTTP/1.0") + chunked_body, "400"});
  // Bad chunk sizes (held before, kept).
  v.push_back({"chunk size not hex", post_head("Transfer-Encoding: chunked\r\n") + "zz\r\n",
               "400"});
  // Host.
  v.push_back({"HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\n\r\n", "400"});
  v.push_back({"two Host headers",
               "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n", "400"});
  // Request lines that never parse: an answer now, not after the handshake timeout.
  v.push_back({"request line without a version", "GET /healthz \r\n\r\n", "400"});
  v.push_back({"request line without a version or space", "GET /healthz\r\n\r\n", "400"});
  // Bare LF line ends in chunked framing.
  v.push_back({"bare LF after a chunk size",
               post_head("Transfer-Encoding: chunked\r\n") + "10\n" + body + "\n0\n\n", "400"});
  v.push_back({"bare LF after the last chunk",
               post_head("Transfer-Encoding: chunked\r\n") + "10\r\n" + body + "\r\n0\n\n", "400"});
  v.push_back({"bare LF ending the trailers",
               post_head("Transfer-Encoding: chunked\r\n") + "10\r\n" + body + "\r\n0\r\n\n",
               "400"});
  // WebSocket handshakes whose key is not the base64 of 16 bytes (the token is valid).
  v.push_back({"Sec-WebSocket-Key too short", upgrade("Sec-WebSocket-Key: abc\r\n"), "400"});
  v.push_back({"Sec-WebSocket-Key of 15 bytes",
               upgrade("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAA\r\n"), "400"});
  v.push_back({"Sec-WebSocket-Key of 17 bytes",
               upgrade("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA=\r\n"), "400"});
  v.push_back({"Sec-WebSocket-Key not base64",
               upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ!=\r\n"), "400"});
  v.push_back({"Sec-WebSocket-Key with stray bits",
               upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n"), "400"});
  v.push_back({"Sec-WebSocket-Key sent twice",
               upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
               "400"});
  return v;
}

// Status lines ("HTTP/1.1 " and three digits), not the words "HTTP/1.1" in a message.
std::size_t replies_in(const std::string& received) {
  std::size_t n = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (auto pos = received.find("HTTP/1.1 "); pos != std::string::npos;
       pos = received.find("HTTP/1.1 ", pos + 1))
    if (pos + 12 <= received.size() && digit(received[pos + 9]) && digit(received[pos + 10])
        && digit(received[pos + 11]))
      ++n;
  return n;
}

void check_refused(const wire_case& c, const std::string& received, bool closed) {
  INFO(c.name << "\nreceived: " << received.substr(0, 600));
  CHECK(received.rfind("HTTP/1.1 " + c.status, 0) == 0);
  CHECK(replies_in(received) == 1);
  CHECK(received.find("Connection: close") != std::string::npos);
  CHECK(received.find("\"error\":{\"code\":") != std::string::npos);
  CHECK(closed);
}

} // namespace

TEST_CASE("http framing: smuggling-prone and malformed requests get one refusal and a close",
          "[integration][http]") {
  daemon_process d;
  for (const auto& c : refused_cases()) {
    raw_conn conn(d.port());
    REQUIRE(conn.ok());
    REQUIRE(conn.send(c.bytes));
    bool closed = conn.closed_within(1500ms); // the handshake timeout is 10 s
    check_refused(c, conn.received(), closed);
  }
  // Nothing ran: the channel the refused publishes named has no event.
  http_client h(d.port());
  auto page = h.request("GET", "/v1/channels/framing/events", "", api_key_auth());
  CHECK(page.status == 200);
  CHECK(page.body.find("\"events\":[]") != std::string::npos);
}

TEST_CASE("http framing: the TLS path refuses the same requests the same way",
          "[integration][http][tls]") {
  test_certificate cert;
  daemon_process d({"--set", "tls.cert_file=" + cert.cert_file(), "--set",
                    "tls.key_file=" + cert.key_file()});
  tls_client_options opts;
  opts.ca_file = cert.cert_file();
  for (const auto& c : refused_cases()) {
    auto r = tls_raw_exchange(d.port(), opts, c.bytes, 1500ms);
    REQUIRE(r.error.empty());
    check_refused(c, r.received, r.closed);
  }
}

TEST_CASE("http framing: well-formed framing still works on both paths", "[integration][http]") {
  const std::string body = R"({"data":{"ok":1}})";
  const std::vector<wire_case> fine = {
    {"Transfer-Encoding: chunked",
     post_head("Transfer-Encoding: chunked\r\n") + "11\r\n" + body + "\r\n0\r\n\r\n", "201"},
    {"Transfer-Encoding: CHUNKED",
     post_head("Transfer-Encoding: CHUNKED\r\n") + "11\r\n" + body + "\r\n0\r\n\r\n", "201"},
    {"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", "200"},
    {"a valid WebSocket key", upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), "101"},
  };
  test_certificate cert;
  daemon_process plain;
  daemon_process tls({"--set", "tls.cert_file=" + cert.cert_file(), "--set",
                      "tls.key_file=" + cert.key_file()});
  tls_client_options opts;
  opts.ca_file = cert.cert_file();
  for (const auto& c : fine) {
    INFO(c.name);
    raw_conn conn(plain.port());
    REQUIRE(conn.ok());
    REQUIRE(conn.send(c.bytes));
    REQUIRE(conn.wait_for("\r\n\r\n", 1, 2s));
    CHECK(conn.status() == c.status);
    auto r = tls_raw_exchange(tls.port(), opts, c.bytes, 500ms);
    INFO(r.received.substr(0, 300));
    CHECK(r.received.rfind("HTTP/1.1 " + c.status, 0) == 0);
  }
}
