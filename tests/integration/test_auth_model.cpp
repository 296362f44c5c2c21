// The authentication and authorization model end to end (AUTH.md): RS256/ES256 keys from PEM
// files and a JWKS, every upgrade refusal class, POST /v1/sessions, claim-based REST rights,
// scope_denied in production mode, and token expiry / in-band refresh on /realtime.
#include "fixture.hpp"
#include "support/jwt_sign_pk.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <regex>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

const std::string issuer = "https://issuer.test";
const std::string audience = "switchyard-test";

// RSA generation takes a moment: every test case shares these keys.
const pk_signer& rsa_a() {
  static const pk_signer k = pk_signer::rsa2048();
  return k;
}
const pk_signer& rsa_b() {
  static const pk_signer k = pk_signer::rsa2048();
  return k;
}
const pk_signer& ec_a() {
  static const pk_signer k = pk_signer::ec_p256();
  return k;
}
const pk_signer& ec_b() {
  static const pk_signer k = pk_signer::ec_p256();
  return k;
}

std::vector<std::string> set_flags(std::initializer_list<std::string> settings) {
  std::vector<std::string> args;
  for (const auto& s : settings) {
    args.emplace_back("--set");
    args.push_back(s);
  }
  return args;
}

std::string quoted(const std::string& s) { return json::serialize(json::value(s)); }

/// Claims for `sub` expiring `exp_offset` s from now, plus raw JSON members `extra`.
std::string claims(const std::string& sub, std::int64_t exp_offset, const std::string& extra = "") {
  auto now = unix_now();
  std::string c = R"({"sub":)" + quoted(sub) + R"(,"iat":)" + std::to_string(now) + R"(,"exp":)"
                  + std::to_string(now + exp_offset);
  if (!extra.empty())
    c += "," + extra;
  return c + "}";
}

/// iss/aud members matching the issuer/audience configured by the tests that set them.
std::string iss_aud() { return R"("iss":)" + quoted(issuer) + R"(,"aud":)" + quoted(audience); }

header_list bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}, {"Content-Type", "application/json"}};
}

struct upgrade_outcome {
  int status = 0;
  std::string body; // refusal body; empty on 101
};

upgrade_outcome try_upgrade(const daemon_process& d, const std::string& token) {
  ws_client c;
  upgrade_outcome out;
  out.status = c.connect(d.port(), "/realtime?token=" + token);
  if (out.status == 101)
    c.close();
  else
    out.body = c.refusal_body();
  return out;
}

void expect_accepted(const daemon_process& d, const std::string& what, const std::string& token) {
  auto r = try_upgrade(d, token);
  INFO(what << ": " << r.status << " " << r.body);
  CHECK(r.status == 101);
}

// A refusal is 401 with {"error":{"code":"unauthorized","message":...}}. The message must name
// the intended class (AUTH.md's fixed texts), otherwise a token refused for some other defect
// (e.g. a typo making it malformed) would let the test pass without testing its case.
void expect_refused(const daemon_process& d, const std::string& what, const std::string& token,
                    const std::string& reason_text) {
  auto r = try_upgrade(d, token);
  INFO(what << ": " << r.status << " " << r.body);
  CHECK(r.status == 401);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  auto& err = field_o(v.as_object(), "error");
  CHECK(field_s(err, "code") == "unauthorized");
  CHECK(field_s(err, "message").find(reason_text) != std::string::npos);
  CHECK(r.body.find(token) == std::string::npos); // never echoes the token
}

/// Every refusal class for tokens of `good` (accepted under `kid`), `other` being a key of the
/// same type that is not configured. The daemon runs with issuer/audience set and leeway 0.
void check_refusals(const daemon_process& d, const pk_signer& good, const std::string& kid,
                    const pk_signer& other) {
  const std::string sub = "pk-" + good.alg();
  const std::string ok_claims = claims(sub, 300, iss_aud());
  INFO("key " << kid << " (" << good.alg() << ")");

  expect_refused(d, "alg none",
                 mint_jwt_with_header("", R"({"alg":"none","typ":"JWT","kid":")" + kid + "\"}",
                                      ok_claims, false),
                 "alg none");
  // The HS/RS confusion attack: HMAC keyed with the public key bytes the verifier holds.
  const std::string pem = good.public_pem();
  expect_refused(d, "HS256 keyed with the public PEM, under the key's kid",
                 mint_jwt_with_header(pem, R"({"alg":"HS256","typ":"JWT","kid":")" + kid + "\"}",
                                      ok_claims),
                 "token alg is not the one pinned for its key");
  expect_refused(d, "HS256 keyed with the public PEM, no kid", mint_jwt(pem, ok_claims),
                 "bad token signature");
  expect_refused(d, "unknown kid", good.mint(kid + "-unknown", ok_claims),
                 "token kid names no configured key");
  expect_refused(d, "signed by another key", other.mint(kid, ok_claims), "bad token signature");
  // Same header and signature, different payload: the signature no longer covers it.
  auto genuine = good.mint(kid, ok_claims);
  auto forged = good.mint(kid, claims(sub, 300, iss_aud() + R"(,"admin":true)"));
  auto dot1 = genuine.find('.');
  auto dot2 = genuine.rfind('.');
  auto f1 = forged.find('.');
  auto f2 = forged.rfind('.');
  expect_refused(d, "payload swapped under a genuine signature",
                 genuine.substr(0, dot1) + forged.substr(f1, f2 - f1) + genuine.substr(dot2),
                 "bad token signature");
  expect_refused(d, "expired 5 s ago (leeway 0)", good.mint(kid, claims(sub, -5, iss_aud())),
                 "token expired");
  expect_refused(d, "wrong iss",
                 good.mint(kid, claims(sub, 300, R"("iss":"https://evil.test","aud":)" + quoted(audience))),
                 "token issuer is not accepted");
  expect_refused(d, "no iss while auth.issuer is set",
                 good.mint(kid, claims(sub, 300, R"("aud":)" + quoted(audience))),
                 "token issuer is not accepted");
  expect_refused(d, "wrong aud",
                 good.mint(kid, claims(sub, 300, R"("iss":)" + quoted(issuer) + R"(,"aud":"other")")),
                 "token audience is not accepted");
  expect_refused(d, "aud array without ours",
                 good.mint(kid, claims(sub, 300, R"("iss":)" + quoted(issuer)
                                                   + R"(,"aud":["other","more"])")),
                 "token audience is not accepted");
}

// --- time and token inspection -------------------------------------------------------------

/// Parses RFC 3339 UTC ("...Z", optional fraction) to unix milliseconds; -1 when malformed.
std::int64_t parse_rfc3339_ms(const std::string& s) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$)");
  std::smatch m;
  if (!std::regex_match(s, m, re))
    return -1;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  if (m[7].matched)
    ms += std::stoi((m[7].str() + "00").substr(0, 3));
  return ms;
}

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string base64url_decode(const std::string& in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = ch >= 'A' && ch <= 'Z'   ? ch - 'A'
            : ch >= 'a' && ch <= 'z' ? ch - 'a' + 26
            : ch >= '0' && ch <= '9' ? ch - '0' + 52
            : ch == '-'              ? 62
            : ch == '_'              ? 63
                                     : -1;
    if (v < 0)
      return {};
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

/// The claims of a JWT (no verification); empty object when it does not decode.
json::object payload_of(const std::string& token) {
  auto a = token.find('.');
  auto b = token.find('.', a == std::string::npos ? a : a + 1);
  if (a == std::string::npos || b == std::string::npos)
    return {};
  auto v = parse_json(base64url_decode(token.substr(a + 1, b - a - 1)));
  return v.is_object() ? v.as_object() : json::object{};
}

// --- Fabric helpers ------------------------------------------------------------------------

ws_client connect_with(const daemon_process& d, const std::string& token) {
  ws_client c;
  int status = c.connect(d.port(), "/realtime?token=" + token);
  INFO("upgrade refused: " << c.last_error() << " body=" << c.refusal_body());
  REQUIRE(status == 101);
  return c;
}

/// Sends a one-topic subscribe and returns the single answer frame.
json::object subscribe_answer(ws_client& c, const std::string& topic) {
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":[)" + quoted(topic) + "]}"));
  return next_object(c);
}

void expect_scope_denied(ws_client& c, const std::string& topic) {
  auto o = subscribe_answer(c, topic);
  INFO("subscribe " << topic << " -> " << to_text(o));
  CHECK(keys_of(o) == keys({"op", "code", "topic", "message"}));
  CHECK(field_s(o, "op") == "error");
  CHECK(field_s(o, "code") == "scope_denied");
  CHECK(field_s(o, "topic") == topic);
  CHECK(field_s(o, "message") != "<missing>");
}

void expect_subscribed(ws_client& c, const std::string& topic) {
  auto o = subscribe_answer(c, topic);
  INFO("subscribe " << topic << " -> " << to_text(o));
  CHECK(field_s(o, "op") == "subscribed");
  CHECK(field_s(o, "topic") == topic);
}

/// The connection is open and answers an application-level ping.
void expect_alive(ws_client& c) {
  REQUIRE(c.send_text(R"({"op":"ping"})"));
  CHECK(to_text(next_object(c)) == R"({"op":"pong"})");
  CHECK(c.is_open());
}

/// Waits until wall-clock unix ms `until`, REQUIRing that the server neither sends a frame
/// (other than heartbeats) nor closes meanwhile.
void stay_open_until(ws_client& c, std::int64_t until_ms) {
  for (auto left = until_ms - unix_now_ms(); left > 0; left = until_ms - unix_now_ms()) {
    auto f = c.read_text(std::chrono::milliseconds(left));
    auto cs = c.closed();
    INFO("frame: " << f.value_or("<none>") << (cs ? " closed " + std::to_string(cs->code) + " "
                                                     + cs->reason
                                               : std::string()));
    REQUIRE_FALSE(cs.has_value());
    if (f)
      REQUIRE(f->find(R"("op":"heartbeat")") != std::string::npos);
  }
}

} // namespace

// --- 1. RS256 / ES256 keys -------------------------------------------------------------------

TEST_CASE("RS256 and ES256 keys from auth.keys pem_file: accepted, every refusal is 401",
          "[integration][auth]") {
  temp_dir dir;
  auto rsa_pem = dir.write("rsa.pem", rsa_a().public_pem());
  auto ec_pem = dir.write("ec.pem", ec_a().public_pem());
  daemon_process d(set_flags(
    {R"(auth.keys=[{"kid":"rsa-1","alg":"RS256","pem_file":)" + quoted(rsa_pem)
       + R"(},{"kid":"ec-1","alg":"ES256","pem_file":)" + quoted(ec_pem) + "}]",
     "auth.issuer=" + issuer, "auth.audience=" + audience, "auth.leeway_s=0"}));

  expect_accepted(d, "RS256 under rsa-1", rsa_a().mint("rsa-1", claims("r", 300, iss_aud())));
  expect_accepted(d, "ES256 under ec-1, aud as an array",
                  ec_a().mint("ec-1", claims("e", 300, R"("iss":)" + quoted(issuer)
                                                         + R"(,"aud":["other",)" + quoted(audience)
                                                         + "]")));
  // The kid picks the key: an RS256 token under the EC key's kid is not verified by the RSA key.
  expect_refused(d, "RS256 token under the ES256 kid",
                 rsa_a().mint("ec-1", claims("r", 300, iss_aud())),
                 "token alg is not the one pinned for its key");
  // The kid-less HS256 secret keeps working next to the new keys.
  expect_accepted(d, "HS256 with auth.jwt_secret", mint_jwt(test_secret, claims("h", 300, iss_aud())));

  check_refusals(d, rsa_a(), "rsa-1", rsa_b());
  check_refusals(d, ec_a(), "ec-1", ec_b());
}

TEST_CASE("RS256 and ES256 keys from auth.jwks_file: kid selects the key", "[integration][auth]") {
  temp_dir dir;
  // ec's JWK has no "alg" (defaults from kty); a "use":"enc" key must not be used for signatures.
  auto jwks = R"({"keys":[)" + rsa_a().public_jwk("jw-rsa-a") + "," + rsa_b().public_jwk("jw-rsa-b")
              + "," + ec_a().public_jwk("jw-ec", false)
              + R"(,{"kty":"RSA","use":"enc","kid":"jw-enc","n":"AQAB","e":"AQAB"}]})";
  auto path = dir.write("jwks.json", jwks);
  daemon_process d(set_flags({"auth.jwks_file=" + path, "auth.issuer=" + issuer,
                              "auth.audience=" + audience, "auth.leeway_s=0"}));

  expect_accepted(d, "RS256 key a", rsa_a().mint("jw-rsa-a", claims("a", 300, iss_aud())));
  expect_accepted(d, "RS256 key b", rsa_b().mint("jw-rsa-b", claims("b", 300, iss_aud())));
  expect_accepted(d, "ES256 (alg from kty)", ec_a().mint("jw-ec", claims("e", 300, iss_aud())));
  expect_refused(d, "key a's token under key b's kid",
                 rsa_a().mint("jw-rsa-b", claims("a", 300, iss_aud())), "bad token signature");
  expect_refused(d, "the skipped encryption key's kid",
                 rsa_a().mint("jw-enc", claims("a", 300, iss_aud())),
                 "token kid names no configured key");

  check_refusals(d, rsa_a(), "jw-rsa-a", rsa_b());
  check_refusals(d, ec_a(), "jw-ec", ec_b());
}

// --- 2. POST /v1/sessions --------------------------------------------------------------------

TEST_CASE("POST /v1/sessions mints capped tokens that work on /realtime", "[integration][auth]") {
  // issuer/audience configured: the minted token must carry them to be accepted by ourselves.
  daemon_process d(set_flags({"auth.max_session_ttl_s=600", "auth.issuer=" + issuer,
                              "auth.audience=" + audience}));
  http_client h(d.port());

  auto mint = [&](const std::string& body, const header_list& auth) {
    return h.request("POST", "/v1/sessions", body, auth);
  };
  // Checks the 201 shape and that ttl, the token's exp and expiresAt agree; returns the token.
  auto expect_minted = [&](const std::string& body, std::int64_t want_ttl) {
    auto before = unix_now();
    auto res = mint(body, api_key_auth());
    INFO("POST /v1/sessions " << body << " -> " << res.status << " " << res.body);
    REQUIRE(res.status == 201);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    auto& o = v.as_object();
    CHECK(keys_of(o) == keys({"token", "sub", "expiresAt", "ttl"}));
    CHECK(field_s(o, "sub") == "u1");
    CHECK(field_i(o, "ttl") == want_ttl);
    auto token = field_s(o, "token");
    auto p = payload_of(token);
    INFO("token claims: " << to_text(p));
    CHECK(field_s(p, "sub") == "u1");
    CHECK(field_s(p, "iss") == issuer);
    auto exp = field_i(p, "exp");
    CHECK(exp >= before + want_ttl);
    CHECK(exp <= unix_now() + want_ttl + 1);
    auto expires_ms = parse_rfc3339_ms(field_s(o, "expiresAt"));
    CHECK(expires_ms >= 0);
    CHECK(std::abs(expires_ms - exp * 1000) < 1000);
    return token;
  };

  SECTION("the API key mints; ttl is honoured, then capped by auth.max_session_ttl_s") {
    auto token = expect_minted(R"({"sub":"u1","ttl":120})", 120);
    expect_minted(R"({"sub":"u1","ttl":100000})", 600);

    auto c = connect_with(d, token);
    subscribe(c, {"minted.1"});
    http_client rest(d.port());
    publish(rest, "minted.1", R"({"data":"hello"})");
    CHECK(to_text(next_event(c).at("data")) == R"("hello")");
  }

  SECTION("no credential: 401; wrong key: 401; non-admin JWT: 403; admin JWT: 201") {
    auto res = mint(R"({"sub":"u1"})", {{"Content-Type", "application/json"}});
    INFO(res.status << " " << res.body);
    CHECK(res.status == 401);
    CHECK(error_code_of(res.body) == "unauthorized");

    res = mint(R"({"sub":"u1"})", bearer("not-the-key"));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 401);
    CHECK(error_code_of(res.body) == "unauthorized");

    auto user = mint_jwt(test_secret, claims("user", 300, iss_aud() + R"(,"channels":"*","publish":"*")"));
    res = mint(R"({"sub":"u1"})", bearer(user));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 403);
    CHECK(error_code_of(res.body) == "forbidden");

    // An admin JWT may: the 403 above is a rights decision, not "JWTs never work here".
    auto admin = mint_jwt(test_secret, claims("root", 300, iss_aud() + R"(,"admin":true)"));
    res = mint(R"({"sub":"u1"})", bearer(admin));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 201);
  }
}

// --- 3. REST rights from claims --------------------------------------------------------------

TEST_CASE("REST: publish and history rights follow the publish/channels claims",
          "[integration][auth]") {
  daemon_process d;
  http_client h(d.port());
  publish(h, "payments", R"({"data":{"amount":5}})");

  SECTION("publish: [\"orders*\"] covers orders.x, not payments") {
    auto tok = token_for("pub", 300, R"("publish":["orders*"])");
    auto res = h.request("POST", "/v1/channels/orders.x/events", R"({"data":1})", bearer(tok));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 201);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    CHECK(field_s(v.as_object(), "channel") == "orders.x");

    res = h.request("POST", "/v1/channels/payments/events", R"({"data":2})", bearer(tok));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 403);
    CHECK(error_code_of(res.body) == "forbidden");
    // The refused publish stored nothing.
    res = h.request("GET", "/v1/channels/payments/events", "", api_key_auth());
    REQUIRE(res.status == 200);
    auto hist = parse_json(res.body);
    REQUIRE(hist.is_object());
    CHECK(hist.as_object().at("events").as_array().size() == 1);
  }

  SECTION("history: a channels claim not covering the channel is 403; the API key reads") {
    auto tok = token_for("reader", 300, R"("channels":["orders*"])");
    auto res = h.request("GET", "/v1/channels/payments/events", "", bearer(tok));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 403);
    CHECK(error_code_of(res.body) == "forbidden");

    res = h.request("GET", "/v1/channels/orders.x/events", "", bearer(tok));
    INFO(res.status << " " << res.body);
    CHECK(res.status == 200);

    res = h.request("GET", "/v1/channels/payments/events", "", api_key_auth());
    INFO(res.status << " " << res.body);
    CHECK(res.status == 200);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    CHECK(v.as_object().at("events").as_array().size() == 1);
  }
}

// --- 4. subscribe rights on /realtime ------------------------------------------------------------

TEST_CASE("production mode: subscribe needs a covering channels claim (scope_denied)",
          "[integration][auth]") {
  daemon_process d(set_flags({"auth.development=false"}));
  http_client rest(d.port());

  SECTION("no channels claim: denied, the connection stays usable") {
    auto c = connect_with(d, token_for("plain"));
    expect_scope_denied(c, "x");
    expect_alive(c);
    // Not subscribed after all: nothing of x arrives.
    publish(rest, "x", R"({"data":"secret"})");
    expect_silence(c, 300ms);
  }

  SECTION("channels [\"x*\"]: x.1 and the pattern x* are allowed, y and * are denied") {
    auto c = connect_with(d, token_for("scoped", 3600, R"("channels":["x*"])"));
    expect_subscribed(c, "x.1");
    expect_scope_denied(c, "y");
    expect_subscribed(c, "x*");
    expect_scope_denied(c, "*");
    expect_alive(c);

    publish(rest, "y", R"({"data":"not yours"})");
    expect_silence(c, 300ms);
    publish(rest, "x.1", R"({"data":"yours"})");
    // x.1 is subscribed twice (by name and through x*): the first copy is what matters here.
    auto e = next_event(c);
    CHECK(field_s(e, "channel") == "x.1");
  }
}

TEST_CASE("development mode (default): a token without claims subscribes anywhere",
          "[integration][auth]") {
  daemon_process d;
  auto c = connect_with(d, token_for("dev"));
  subscribe(c, {"x", "y.z", "internal.anything"});
  expect_alive(c);
  // Last: "*" also matches log.event, whose session.connect events would interleave with a pong.
  subscribe(c, {"*"});
}

// --- 5. token expiry and refresh -------------------------------------------------------------

TEST_CASE("a token's exp closes the session with 4001 token_expired", "[integration][auth]") {
  daemon_process d(set_flags({"auth.leeway_s=0"}));
  auto token = token_for("short", 3);
  auto exp = field_i(payload_of(token), "exp");
  auto c = connect_with(d, token);
  subscribe(c, {"exp.a"});

  auto cs = c.wait_closed(7s);
  auto closed_ms = unix_now_ms();
  REQUIRE(cs.has_value());
  INFO("closed " << closed_ms - exp * 1000 << " ms after exp: " << cs->code << " '" << cs->reason
                 << "' " << cs->error);
  CHECK(cs->code == 4001);
  CHECK(cs->reason == "token_expired");
  CHECK(closed_ms >= exp * 1000 - 200); // not before exp (allowing clock granularity)
  CHECK(closed_ms <= exp * 1000 + 3000);
}

TEST_CASE("op refresh with a fresh token keeps the session and its subscriptions",
          "[integration][auth]") {
  daemon_process d(set_flags({"auth.leeway_s=0"}));
  http_client rest(d.port());
  auto token = token_for("renewer", 3);
  auto old_exp = field_i(payload_of(token), "exp");
  auto c = connect_with(d, token);
  subscribe(c, {"keep"});

  auto fresh = token_for("renewer", 120);
  auto fresh_exp = field_i(payload_of(fresh), "exp");
  REQUIRE(c.send_text(R"({"op":"refresh","token":")" + fresh + "\"}"));
  auto o = next_object(c);
  INFO("refresh answer: " << to_text(o));
  REQUIRE(field_s(o, "op") == "refreshed");
  CHECK(keys_of(o) == keys({"op", "expiresAt"}));
  auto expires_ms = parse_rfc3339_ms(field_s(o, "expiresAt"));
  CHECK(expires_ms >= 0);
  CHECK(std::abs(expires_ms - fresh_exp * 1000) < 1000);

  stay_open_until(c, old_exp * 1000 + 2000);
  publish(rest, "keep", R"({"data":"after the old exp"})");
  CHECK(to_text(next_event(c).at("data")) == R"("after the old exp")");
  expect_alive(c);
}

TEST_CASE("op refresh with an invalid token is unauthorized and keeps the old expiry",
          "[integration][auth]") {
  daemon_process d(set_flags({"auth.leeway_s=0"}));
  auto token = token_for("renewer", 3);
  auto old_exp = field_i(payload_of(token), "exp");
  auto c = connect_with(d, token);

  auto bad = mint_jwt("wrong-secret", claims("renewer", 120));
  REQUIRE(c.send_text(R"({"op":"refresh","token":")" + bad + "\"}"));
  auto o = next_object(c);
  INFO("refresh answer: " << to_text(o));
  CHECK(field_s(o, "op") == "error");
  CHECK(field_s(o, "code") == "unauthorized");
  CHECK(field_s(o, "message") != "<missing>");
  CHECK(to_text(o).find(bad) == std::string::npos); // never echoes the token
  expect_alive(c);

  auto cs = c.wait_closed(7s);
  auto closed_ms = unix_now_ms();
  REQUIRE(cs.has_value());
  INFO("closed " << closed_ms - old_exp * 1000 << " ms after the old exp: " << cs->code << " '"
                 << cs->reason << "'");
  CHECK(cs->code == 4001);
  CHECK(cs->reason == "token_expired");
  CHECK(closed_ms <= old_exp * 1000 + 3000);
}

TEST_CASE("REST refusals (401, 403) are audited as auth.denied, without the credential") {
  daemon_process d;
  ws_client a;
  REQUIRE(a.connect(d.port(), "/realtime?token=" + token_for("auditor", 3600, R"("admin":true)"))
          == 101);
  subscribe(a, {"console.realtime.auth-denied"});
  http_client h(d.port());
  auto r = h.request("POST", "/v1/channels/orders/events", R"({"data":1})",
                     {{"Authorization", "Bearer wrong-key-123"}});
  REQUIRE(r.status == 401);
  auto e = next_event(a);
  const auto& data = field_o(e, "data");
  CHECK(field_s(data, "dialect") == "rest");
  CHECK(field_s(data, "route") == "POST /v1/channels/orders/events");
  CHECK(field_i(data, "status") == 401);
  CHECK(to_text(e).find("wrong-key-123") == std::string::npos);
  auto sub_only = token_for("reader"); // no publish claim
  r = h.request("POST", "/v1/channels/orders/events", R"({"data":1})",
                {{"Authorization", "Bearer " + sub_only}});
  REQUIRE(r.status == 403);
  auto f = next_event(a);
  CHECK(field_i(field_o(f, "data"), "status") == 403);
  CHECK(field_s(field_o(f, "data"), "sub") == "reader");
}
