// Golden tests for the SSE dialect (schema/dialects/sse/): the exact text of each event,
// confirmation and closing event, and the codec's close policy.
#include <catch2/catch.hpp>

#include "schema/codes.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/dialects/sse/sse.hpp"

using namespace sy;

namespace {

encoded_event sample(std::string type) {
  event e;
  e.channel = "orders";
  e.epoch = 0x18c2f9a1b0c;
  e.seq = 42;
  e.timestamp_ms = 1705312800000;
  e.type = std::move(type);
  e.data_json = R"({"text":"a\nb"})";
  e.metadata_json = "{}";
  return encode_event(std::move(e));
}

} // namespace

TEST_CASE("SSE: an event is its cursor, its type and its REST object on one data line",
          "[codec][sse]") {
  auto e = sample("upload");
  CHECK(sse::encode_event_text(e)
        == "id: 18c2f9a1b0c-42\nevent: upload\ndata: " + e.rest_json + "\n\n");
  CHECK(e.rest_json.find('\n') == std::string::npos); // the data's newline stays escaped
  // No live frame at publish: the stream builds the text per connection.
  CHECK_FALSE(e.frame(dialect::sse));
  CHECK(*codec_for(dialect::sse).snapshot(e) == sse::encode_event_text(e));
}

TEST_CASE("SSE: a type with CR or LF is sent without an event line", "[codec][sse]") {
  auto e = sample("bad\ntype");
  CHECK(sse::event_head(e.ev, e.id) == "id: 18c2f9a1b0c-42\ndata: ");
  auto cr = sample("x\ry");
  CHECK(sse::event_head(cr.ev, cr.id) == "id: 18c2f9a1b0c-42\ndata: ");
}

TEST_CASE("SSE: confirmation, reset and close events", "[codec][sse]") {
  CHECK(sse::encode_subscribed("orders", "c-41", 3, std::nullopt)
        == "event: subscribed\ndata: {\"channel\":\"orders\",\"cursor\":\"c-41\",\"replay\":3}\n\n");
  CHECK(sse::encode_subscribed("orders", "c-41", 0, true)
        == "event: subscribed\ndata: {\"channel\":\"orders\",\"cursor\":\"c-41\",\"replay\":0,"
           "\"recovered\":true}\n\n");
  CHECK(sse::encode_subscribed("orders", "c-41", 5, false)
        == "event: reset\ndata: {\"channel\":\"orders\",\"cursor\":\"c-41\",\"replay\":5,"
           "\"recovered\":false}\n\n");
  CHECK(sse::encode_close(4009, "slow_consumer")
        == "event: close\ndata: {\"code\":4009,\"reason\":\"slow_consumer\"}\n\n");
}

TEST_CASE("SSE: a refused subscription ends the stream with the matching close code",
          "[codec][sse]") {
  const auto& codec = codec_for(dialect::sse);
  auto q = codec.error(error_code::quota_exceeded, "channel budget", "orders");
  CHECK(q.close_code == close_code::quota_exceeded);
  CHECK(q.close_reason == "quota_exceeded: channel budget");
  CHECK(codec.error(error_code::scope_denied, "no", "orders").close_code
        == close_code::scope_denied);
  CHECK(codec.error(error_code::channel_unavailable, "no", "orders").close_code
        == close_code::channel_unavailable);
  CHECK_FALSE(codec.heartbeat(0)); // the connection writes its own comment heartbeats
}
