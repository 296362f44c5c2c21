// REST publish/history contract: idempotency, paging, limits, credentials and error bodies.
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

namespace {

header_list json_with(header_list h) {
  h.emplace_back("Content-Type", "application/json");
  return h;
}

} // namespace

TEST_CASE("idempotencyKey repeats return the original event once", "[integration][rest]") {
  daemon_process d;
  http_client rest(d.port());
  auto c = connect_fabric(d, "idem-watch");
  subscribe(c, {"idem"});

  auto first = publish(rest, "idem", R"({"data":{"a":1},"idempotencyKey":"k-1","correlationId":"c-9"})", 201);
  INFO("first: " << to_text(first));
  CHECK(field_b(first, "duplicate", true) == false);
  CHECK(field_s(first, "idempotencyKey") == "k-1");
  CHECK(field_s(first, "correlationId") == "c-9");
  auto again = publish(rest, "idem", R"({"data":{"a":1},"idempotencyKey":"k-1"})", 200);
  INFO("repeat: " << to_text(again));
  CHECK(field_b(again, "duplicate") == true);
  CHECK(field_s(again, "id") == field_s(first, "id"));
  CHECK(field_i(again, "seq") == field_i(first, "seq"));

  auto ev = next_event(c);
  INFO("event: " << to_text(ev));
  CHECK(field_i(ev, "seq") == 1);
  CHECK(keys_of(ev) == keys({"op", "topic", "channel", "seq", "id", "timestamp", "type", "data",
                             "metadata", "idempotencyKey", "correlationId", "snapshot"}));
  CHECK(field_s(ev, "idempotencyKey") == "k-1");

  auto other = publish(rest, "idem", R"({"data":{"a":1},"idempotencyKey":"k-2"})", 201);
  CHECK(field_i(other, "seq") == 2);
  CHECK(field_s(other, "id") != field_s(first, "id"));
  CHECK(field_i(next_event(c), "seq") == 2);
  expect_silence(c); // the duplicate was never delivered
}

TEST_CASE("history pages with nextCursor and rejects bad requests", "[integration][rest]") {
  daemon_process d;
  http_client rest(d.port());
  std::vector<std::string> ids;
  for (int i = 1; i <= 7; ++i)
    ids.push_back(field_s(publish(rest, "hist", R"({"data":)" + std::to_string(i) + "}"), "id"));

  auto get = [&](const std::string& target, header_list h) { return rest.request("GET", target, "", h); };

  SECTION("paging with limit=3 returns all 7 in order") {
    std::vector<std::int64_t> seqs;
    std::string cursor;
    bool more = true;
    for (int page = 0; page < 5 && more; ++page) {
      auto res = get("/v1/channels/hist/events?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor),
                     api_key_auth());
      INFO("page " << page << ": " << res.status << " " << res.body);
      REQUIRE(res.status == 200);
      auto body = parse_json(res.body);
      REQUIRE(body.is_object());
      auto& o = body.as_object();
      CHECK(keys_of(o) == keys({"events", "nextCursor", "hasMore", "recovered"}));
      REQUIRE(o.contains("events"));
      REQUIRE(o.at("events").is_array());
      auto& events = o.at("events").as_array();
      CHECK(events.size() <= 3);
      for (auto& e : events)
        seqs.push_back(field_i(e.as_object(), "seq"));
      if (!events.empty())
        CHECK(field_s(o, "nextCursor") == field_s(events.back().as_object(), "id"));
      CHECK(field_b(o, "recovered") == true);
      cursor = field_s(o, "nextCursor");
      more = field_b(o, "hasMore");
    }
    CHECK(seqs == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
    CHECK_FALSE(more);
    CHECK(cursor == ids[6]);

    // Past the end: nothing, the given cursor comes back, no more.
    auto res = get("/v1/channels/hist/events?cursor=" + cursor, api_key_auth());
    REQUIRE(res.status == 200);
    auto o = parse_json(res.body).as_object();
    CHECK(o.at("events").as_array().empty());
    CHECK(field_s(o, "nextCursor") == ids[6]);
    CHECK(field_b(o, "hasMore", true) == false);
  }

  SECTION("limit is capped, not an error") {
    auto res = get("/v1/channels/hist/events?limit=5000", api_key_auth());
    INFO(res.body);
    REQUIRE(res.status == 200);
    auto o = parse_json(res.body).as_object();
    CHECK(o.at("events").as_array().size() == 7);
  }

  SECTION("a valid JWT may read history") {
    auto res = get("/v1/channels/hist/events", {{"Authorization", "Bearer " + token_for("reader")}});
    INFO(res.body);
    CHECK(res.status == 200);
  }

  SECTION("request errors") {
    struct bad_case {
      const char* name;
      std::string method, target, body;
      header_list headers;
      int status;
      const char* code;
    };
    std::vector<bad_case> cases = {
      {"limit=abc", "GET", "/v1/channels/hist/events?limit=abc", "", api_key_auth(), 400, "bad_limit"},
      {"limit=0", "GET", "/v1/channels/hist/events?limit=0", "", api_key_auth(), 400, "bad_limit"},
      {"cursor=garbage", "GET", "/v1/channels/hist/events?cursor=garbage", "", api_key_auth(), 400,
       "bad_cursor"},
      {"history without credential", "GET", "/v1/channels/hist/events", "", {}, 401, "unauthorized"},
      {"publish without credential", "POST", "/v1/channels/hist/events", R"({"data":1})",
       json_with({}), 401, "unauthorized"},
      {"wrong API key", "POST", "/v1/channels/hist/events", R"({"data":1})",
       json_with({{"Authorization", "Bearer wrong-key"}}), 401, "unauthorized"},
      {"bad JSON", "POST", "/v1/channels/hist/events", R"({"data":)", json_with(api_key_auth()), 400,
       "bad_json"},
      // 1e400 reads as infinity: stored, it reached subscribers as `Infinity` (not JSON).
      {"number out of range", "POST", "/v1/channels/hist/events", R"({"data":{"x":[1,1e400]}})",
       json_with(api_key_auth()), 400, "bad_json"},
      {"missing data", "POST", "/v1/channels/hist/events", R"({"type":"x"})",
       json_with(api_key_auth()), 400, "bad_request"},
      {"body not an object", "POST", "/v1/channels/hist/events", R"([1,2])",
       json_with(api_key_auth()), 400, "bad_request"},
      {"invalid channel", "POST", "/v1/channels/bad%20name!/events", R"({"data":1})",
       json_with(api_key_auth()), 400, "invalid_channel"},
      {"unknown route", "GET", "/v1/nope", "", api_key_auth(), 404, "not_found"},
      {"known route, other method", "DELETE", "/v1/channels/hist/events", "", api_key_auth(), 405,
       "method_not_allowed"},
      {"JWT without publish rights", "POST", "/v1/channels/hist/events", R"({"data":1})",
       json_with({{"Authorization", "Bearer " + token_for("nobody")}}), 403, "forbidden"},
      {"header block over 8 KiB", "GET", "/v1/channels/hist/events", "",
       {{"Authorization", "Bearer " + test_api_key}, {"X-Pad", std::string(9000, 'h')}}, 431,
       "headers_too_large"},
      {"body over 64 KiB", "POST", "/v1/channels/hist/events",
       R"({"data":")" + std::string(70 * 1024, 'x') + R"("})", json_with(api_key_auth()), 413,
       "payload_too_large"},
    };
    for (auto& bc : cases) {
      auto res = rest.request(bc.method, bc.target, bc.body, bc.headers);
      INFO(bc.name << ": " << res.status << " " << res.body.substr(0, 300));
      CHECK(res.status == bc.status);
      CHECK(error_code_of(res.body) == bc.code);
      auto v = parse_json(res.body);
      if (v.is_object())
        CHECK(keys_of(field_o(v.as_object(), "error")) == keys({"code", "message"}));
    }
    // None of the rejected publishes was stored.
    auto res = get("/v1/channels/hist/events", api_key_auth());
    REQUIRE(res.status == 200);
    CHECK(parse_json(res.body).as_object().at("events").as_array().size() == 7);
  }

  SECTION("JWT publish rights and health") {
    auto scoped = json_with({{"Authorization", "Bearer " + token_for("pub", 3600, R"("publish":["hist*"])")}});
    CHECK(rest.request("POST", "/v1/channels/hist/events", R"({"data":8})", scoped).status == 201);
    CHECK(rest.request("POST", "/v1/channels/other/events", R"({"data":8})", scoped).status == 403);
    auto admin = json_with({{"Authorization", "Bearer " + token_for("adm", 3600, R"("admin":true)")}});
    CHECK(rest.request("POST", "/v1/channels/other/events", R"({"data":8})", admin).status == 201);
    auto health = rest.request("GET", "/healthz");
    CHECK(health.status == 200);
    CHECK(health.body.find("\"status\":\"ok\"") != std::string::npos);
  }
}
