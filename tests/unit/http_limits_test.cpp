// What the HTTP paths refuse before the router, as pure functions: which WebSocket keys are
// keys.
#include <catch2/catch.hpp>

#include "net/http_refusals.hpp"

using namespace sy;

TEST_CASE("websocket keys: the base64 of exactly 16 bytes", "[unit][http]") {
  CHECK(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK(valid_websocket_key("/+9azAZ09azAZ09azAZ09w=="));
  CHECK_FALSE(valid_websocket_key(""));
  CHECK_FALSE(valid_websocket_key("abc"));
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ"));    // no padding
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZR=="));  // stray bits: not canonical
  CHECK_FALSE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAAA="));  // 17 bytes
  CHECK_FALSE(valid_websocket_key("AAAAAAAAAAAAAAAAAAAA"));      // 15 bytes
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ!="));
  CHECK_FALSE(valid_websocket_key("dGhlIHNhbXBsZSBub25j ZQ=="));
  CHECK(handshake_refusal("dGhlIHNhbXBsZSBub25jZQ==", "13") == std::nullopt);
  CHECK(handshake_refusal("abc", "13")->status == 400);
  CHECK(handshake_refusal("dGhlIHNhbXBsZSBub25jZQ==", "8")->status == 400);
}
