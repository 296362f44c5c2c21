#include <catch2/catch.hpp>

#include <limits>

#include "net/auth/auth.hpp"
#include "net/auth/jwt.hpp"
#include "net/auth/token_mint.hpp"
#include "net/http/url.hpp"

using namespace sy;

TEST_CASE("base64url round-trips", "[jwt]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    auto d = base64url_decode(base64url_encode(s));
    REQUIRE(d);
    CHECK(*d == s);
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("a+b/"));
}

TEST_CASE("HS256 matches the published jwt.io example token", "[jwt]") {
  auto t = sign_hs256(R"({"sub":"1234567890","name":"John Doe","iat":1516239022})",
                      "your-256-bit-secret");
  CHECK(t == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
}

TEST_CASE("HS256 verification refuses each bad token kind", "[jwt]") {
  const std::int64_t now = 1'700'000'000;
  auto good = sign_hs256(R"({"sub":"alice","exp":1700000100,"publish":["orders*"]})", "k");
  auto r = verify_hs256(good, "k", now, 30);
  REQUIRE(r.ok);
  CHECK(r.claims.sub == "alice");
  REQUIRE(r.claims.publish);
  CHECK(*r.claims.publish == std::vector<std::string>{"orders*"});

  CHECK_FALSE(verify_hs256(good, "other", now, 30).ok);                // bad signature
  CHECK_FALSE(verify_hs256(good, "k", 1700000200, 30).ok);             // expired
  CHECK(verify_hs256(good, "k", 1700000120, 30).ok);                   // within leeway
  CHECK_FALSE(verify_hs256("a.b", "k", now, 30).ok);                   // malformed
  CHECK_FALSE(verify_hs256("!!.??.**", "k", now, 30).ok);              // not base64url
  auto nbf = sign_hs256(R"({"sub":"a","nbf":1700001000})", "k");
  CHECK_FALSE(verify_hs256(nbf, "k", now, 30).ok);                     // not yet valid
  // alg:none with an empty signature must never pass
  auto none = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "."
              + base64url_encode(R"({"sub":"mallory"})") + ".";
  CHECK_FALSE(verify_hs256(none, "k", now, 30).ok);
  // a valid HS256 signature under a header claiming another alg is refused
  auto body = base64url_encode(R"({"alg":"HS512"})") + "." + base64url_encode(R"({"sub":"x"})");
  auto forged = body + "." + good.substr(good.rfind('.') + 1);
  CHECK_FALSE(verify_hs256(forged, "k", now, 30).ok);
}

TEST_CASE("credentials: api key, tokens and publish patterns", "[jwt]") {
  config c;
  c.jwt_secret = "s";
  c.api_key = "key-1";
  auto auth = make_authenticator(c);
  CHECK(auth->verify_credential("key-1").who.api_key);
  CHECK_FALSE(auth->verify_credential("key-2").ok);
  CHECK_FALSE(auth->verify_credential("").ok);
  auto tok = sign_hs256(R"({"sub":"bob","publish":"orders*"})", "s");
  auto r = auth->verify_credential(tok);
  REQUIRE(r.ok);
  CHECK(may_publish(r.who, "orders.eu", c));
  CHECK_FALSE(may_publish(r.who, "payments", c));
  CHECK(bearer_value("Bearer abc") == "abc");
  CHECK(bearer_value("bearer  abc ") == "abc");
  CHECK(bearer_value("Basic abc").empty());
  CHECK(pattern_matches("*", "x"));
  CHECK(pattern_matches("a.*", "a.b"));
  CHECK_FALSE(pattern_matches("a.*", "b.a"));
}

TEST_CASE("request targets are split and percent-decoded", "[url]") {
  auto t = parse_target("/v1/channels/a%2Eb/events?limit=5&cursor=x%2Dy&flag");
  REQUIRE(t);
  CHECK(t->segments == std::vector<std::string>{"v1", "channels", "a.b", "events"});
  CHECK(t->param("limit") == std::optional<std::string>("5"));
  CHECK(t->param("cursor") == std::optional<std::string>("x-y"));
  CHECK(t->param("flag") == std::optional<std::string>(""));
  CHECK_FALSE(t->param("none"));
  CHECK_FALSE(parse_target("/a%zz"));
  CHECK_FALSE(parse_target("/a%2"));
  CHECK_FALSE(parse_target("nope"));
}

TEST_CASE("base64url has exactly one accepted spelling", "[jwt]") {
  CHECK(base64url_decode("Zg") == std::optional<std::string>("f"));
  CHECK(base64url_decode("Zm8") == std::optional<std::string>("fo"));
  CHECK(base64url_decode("Zm9v") == std::optional<std::string>("foo"));
  CHECK_FALSE(base64url_decode("Zg=="));  // padding
  CHECK_FALSE(base64url_decode("Zm8="));
  CHECK_FALSE(base64url_decode("Zm9v===="));
  CHECK_FALSE(base64url_decode("Zh"));    // "f" with a non-zero unused low bit
  CHECK_FALSE(base64url_decode("Zm9"));   // "fo" with a non-zero unused low bit
  CHECK_FALSE(base64url_decode("Zm9vY")); // a lone 6-bit group is no byte
  CHECK_FALSE(base64url_decode("Z"));
}

TEST_CASE("exp and nbf at the ends of the number range neither overflow nor wrap", "[jwt]") {
  // Found by tests/fuzz/fuzz_jwt: exp + leeway overflowed at INT64_MAX, a double exp beyond the
  // int64 range (1e300, or 1e400 read as infinity) was cast to int64 (undefined), and a uint64
  // exp wrapped negative. A far-future exp never expires; a far-past one always has.
  const std::int64_t now = 1'700'000'000;
  for (const char* exp : {"9223372036854775807", "18446744073709551615", "1e300", "1e400"}) {
    INFO("exp " << exp);
    auto far = sign_hs256(std::string(R"({"sub":"a","exp":)") + exp + "}", "k");
    auto r = verify_hs256(far, "k", now, 30);
    CHECK(r.ok);
    REQUIRE(r.claims.exp);
    CHECK(*r.claims.exp == std::numeric_limits<std::int64_t>::max());
  }
  for (const char* exp : {"-9223372036854775808", "-1e300", "-1e400"}) {
    INFO("exp " << exp);
    auto past = sign_hs256(std::string(R"({"sub":"a","exp":)") + exp + "}", "k");
    CHECK(verify_hs256(past, "k", now, 30).code == jwt_error::expired);
  }
  // Boost.JSON reads 0e400 as NaN: no time at all, so the token is malformed.
  auto nan = sign_hs256(R"({"sub":"a","exp":0e400})", "k");
  CHECK(verify_hs256(nan, "k", now, 30).code == jwt_error::malformed);
  // nbf counts as the end of time: never valid yet, and now + leeway cannot overflow near it.
  auto nbf = sign_hs256(R"({"sub":"a","nbf":1e400})", "k");
  CHECK(verify_hs256(nbf, "k", now, 30).code == jwt_error::not_yet_valid);
  CHECK(verify_hs256(nbf, "k", std::numeric_limits<std::int64_t>::max() - 10, 30).ok);
}

TEST_CASE("minted tokens carry exactly the grant, in a fixed claim order", "[jwt]") {
  // The payload of a minted token, with its iat read back from it.
  auto payload_of = [](const std::string& token, std::int64_t& iat) {
    auto first = token.find('.');
    auto second = token.find('.', first + 1);
    auto json = base64url_decode(token.substr(first + 1, second - first - 1)).value_or("");
    auto at = json.find("\"iat\":");
    iat = at == std::string::npos ? 0 : std::stoll(json.substr(at + 6));
    return json;
  };
  std::int64_t iat = 0;

  token_grant bare;
  bare.sub = "bob";
  auto minted = mint_token(bare, 5, "k");
  auto json = payload_of(minted.token, iat);
  CHECK(json == R"({"sub":"bob","iat":)" + std::to_string(iat) + R"(,"exp":)"
                  + std::to_string(iat + 5) + "}");
  CHECK(minted.exp_s == iat + 5);
  CHECK(verify_hs256(minted.token, "k", iat, 0).ok);

  token_grant full;
  full.sub = "alice";
  full.channels = std::vector<std::string>{"orders.*"};
  full.publish = std::vector<std::string>{}; // present and empty: publishes nowhere
  full.workspaces = std::vector<std::string>{"acme"};
  full.admin = true;
  full.issuer = "switchyard";
  full.audience = "apps";
  minted = mint_token(full, 60, "k");
  json = payload_of(minted.token, iat);
  CHECK(json == R"({"sub":"alice","iat":)" + std::to_string(iat)
                  + R"(,"channels":["orders.*"],"publish":[],"workspaces":["acme"],"admin":true,)"
                  + R"("exp":)" + std::to_string(iat + 60)
                  + R"(,"iss":"switchyard","aud":"apps"})");
  auto r = verify_hs256(minted.token, "k", iat, 0);
  REQUIRE(r.ok);
  CHECK(r.claims.admin);
  REQUIRE(r.claims.publish);
  CHECK(r.claims.publish->empty());
}
