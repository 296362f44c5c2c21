// Upgrade admission (origin, JWT, REALTIME_ENABLED) and the per-connection topic limit.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace sy::test;

namespace {

// Attempts an upgrade; returns the status (101 or the refusal) and the refusal's error code.
std::pair<int, std::string> try_upgrade(const daemon_process& d, const std::string& target,
                                        header_list headers = {}) {
  ws_client c;
  ws_connect_options opts;
  opts.headers = std::move(headers);
  int status = c.connect(d.port(), target, opts);
  std::string code = status == 101 ? "" : error_code_of(c.refusal_body());
  if (status == 101)
    c.close();
  return {status, code};
}

std::string claims(const std::string& sub, std::int64_t exp_offset) {
  auto now = unix_now();
  return R"({"sub":")" + sub + R"(","iat":)" + std::to_string(now) + R"(,"exp":)"
         + std::to_string(now + exp_offset) + "}";
}

} // namespace

TEST_CASE("topic limit: subscribing beyond REALTIME_TOPIC_LIMIT is quota_exceeded", "[integration][limits]") {
  daemon_process d({}, {{"REALTIME_TOPIC_LIMIT", "3"}});
  http_client rest(d.port());
  auto c = connect_fabric(d, "greedy");
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":["t1","t2","t3","t4"]})"));
  std::vector<std::string> subscribed;
  json::object error;
  for (int i = 0; i < 4; ++i) {
    auto o = next_object(c);
    if (field_s(o, "op") == "subscribed")
      subscribed.push_back(field_s(o, "topic"));
    else
      error = o;
  }
  std::sort(subscribed.begin(), subscribed.end());
  CHECK(subscribed == keys({"t1", "t2", "t3"}));
  INFO("error frame: " << to_text(error));
  CHECK(field_s(error, "op") == "error");
  CHECK(field_s(error, "code") == "quota_exceeded");
  CHECK(field_s(error, "topic") == "t4");
  expect_silence(c, 200ms);

  publish(rest, "t4", R"({"data":"not for you"})");
  expect_silence(c, 300ms);

  // Re-subscribing a topic replaces it and does not count again.
  auto again = subscribe(c, {"t1"});
  CHECK(field_s(again["t1"], "op") == "subscribed");
  // Freeing a slot admits the fourth topic.
  REQUIRE(c.send_text(R"({"op":"unsubscribe","topics":["t1"]})"));
  CHECK(to_text(next_object(c)) == R"({"op":"unsubscribed","topic":"t1"})");
  subscribe(c, {"t4"});
  publish(rest, "t4", R"({"data":"now yes"})");
  CHECK(to_text(next_event(c).at("data")) == R"("now yes")");
}

TEST_CASE("upgrade admission: origins and JWT checks", "[integration][auth]") {
  daemon_process d({}, {{"REALTIME_ORIGINS", "https://good.example"}});
  const std::string good = "/realtime?token=" + token_for("ok");

  SECTION("origin") {
    CHECK(try_upgrade(d, good, {{"Origin", "https://evil.example"}})
          == std::make_pair(403, std::string("origin_denied")));
    CHECK(try_upgrade(d, good, {{"Origin", "https://good.example"}}).first == 101);
    CHECK(try_upgrade(d, good).first == 101); // non-browser clients send no Origin
  }

  SECTION("token") {
    const std::pair<int, std::string> denied{401, "unauthorized"};
    CHECK(try_upgrade(d, "/realtime") == denied);
    CHECK(try_upgrade(d, "/realtime?token=") == denied);
    CHECK(try_upgrade(d, "/realtime?token=not.a.jwt") == denied);
    CHECK(try_upgrade(d, "/realtime?token=" + mint_jwt("wrong-secret", claims("x", 3600))) == denied);
    CHECK(try_upgrade(d, "/realtime?token=" + token_for("x", -3600)) == denied);
    CHECK(try_upgrade(d, "/realtime?token="
                           + mint_jwt_with_header("", R"({"alg":"none","typ":"JWT"})",
                                                  claims("x", 3600), false))
          == denied);
    CHECK(try_upgrade(d, "/realtime?token="
                           + token_for("x", 3600, "\"nbf\":" + std::to_string(unix_now() + 3600)))
          == denied);
    // Within the 30 s leeway an expired token is still accepted.
    CHECK(try_upgrade(d, "/realtime?token=" + token_for("x", -5)).first == 101);
    // The independent minter (any JWT library) works, as query or as Authorization header.
    CHECK(try_upgrade(d, good).first == 101);
    CHECK(try_upgrade(d, "/realtime", {{"Authorization", "Bearer " + token_for("hdr")}}).first == 101);
  }

  SECTION("switchyard token mints a usable token") {
    auto r = run_switchyard({"token", "--sub", "cli", "--ttl", "60"});
    INFO("exit " << r.exit_code << " out=" << r.out << " err=" << r.err);
    REQUIRE(r.exit_code == 0);
    auto tok = r.out;
    while (!tok.empty() && (tok.back() == '\n' || tok.back() == '\r'))
      tok.pop_back();
    CHECK(tok.find('\n') == std::string::npos); // only the token on stdout
    CHECK(std::count(tok.begin(), tok.end(), '.') == 2);
    CHECK(try_upgrade(d, "/realtime?token=" + tok).first == 101);
  }
}

TEST_CASE("a plain GET on /realtime is not an upgrade", "[integration][auth]") {
  daemon_process d;
  http_client h(d.port());
  auto res = h.request("GET", "/realtime?token=" + token_for("x"));
  INFO(res.status << " " << res.body);
  CHECK(res.status == 426);
  CHECK(error_code_of(res.body) == "upgrade_required");

  // An upgrade attempt without Sec-WebSocket-Key is not a valid upgrade either.
  auto broken = h.request("GET", "/realtime?token=" + token_for("x"), "",
                          {{"Connection", "Upgrade"}, {"Upgrade", "websocket"},
                           {"Sec-WebSocket-Version", "13"}});
  INFO(broken.status << " " << broken.body);
  CHECK(broken.status == 400);
  CHECK(error_code_of(broken.body) == "bad_request");
}

TEST_CASE("REALTIME_ENABLED=0 refuses upgrades but keeps REST", "[integration][auth]") {
  daemon_process d({}, {{"REALTIME_ENABLED", "0"}});
  CHECK(try_upgrade(d, "/realtime?token=" + token_for("x"))
        == std::make_pair(404, std::string("realtime_disabled")));
  http_client rest(d.port());
  publish(rest, "still.works", R"({"data":1})", 201);
}
