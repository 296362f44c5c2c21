// The hand-written reply head must be byte-for-byte what Beast's serializer wrote before it
// replaced http::response: clients (and the integration tests) see the same replies.
#include <string>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "net/http/http_head.hpp"

namespace http = boost::beast::http;

namespace {

// What the server sent before: a string_body response built the way http_session built it.
std::string beast_reply(unsigned status, const std::string& body, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "switchyard");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = body;
  res.prepare_payload();
  http::response_serializer<http::string_body> sr{res};
  std::string out;
  boost::system::error_code ec;
  sr.split(false);
  while (!sr.is_done()) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      out += boost::beast::buffers_to_string(buffers);
      sr.consume(boost::asio::buffer_size(buffers));
    });
  }
  return out;
}

} // namespace

TEST_CASE("reply heads match Beast's serializer for every status the server sends", "[http]") {
  const std::string body = "{\"error\":{\"code\":\"x\",\"message\":\"y\"}}";
  for (unsigned status : {200u, 201u, 400u, 401u, 403u, 404u, 405u, 413u, 426u, 429u, 431u,
                          500u, 503u}) {
    for (bool keep_alive : {true, false}) {
      std::string head;
      sy::format_http_head(head, status, "application/json", body.size(), keep_alive);
      INFO("status " << status << " keep_alive " << keep_alive);
      CHECK(head + body == beast_reply(status, body, keep_alive));
    }
  }
}

TEST_CASE("an empty body still says Content-Length: 0", "[http]") {
  std::string head = "leftover from the previous reply";
  sy::format_http_head(head, 200, "application/json", 0, true);
  CHECK(head == beast_reply(200, "", true));
}

TEST_CASE("extra header lines go after Content-Length, before the blank line", "[http]") {
  std::string head;
  sy::format_http_head(head, 200, "text/css; charset=utf-8", 3, true,
                       "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
  CHECK(head == "HTTP/1.1 200 OK\r\nServer: switchyard\r\nContent-Type: text/css; charset=utf-8\r\n"
                "Content-Length: 3\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                "\r\n");
}
