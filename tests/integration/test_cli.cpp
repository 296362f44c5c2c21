// The `switchyard` client commands run as child processes against a real daemon: publish,
// token --channels, check-config and the usage errors (exit codes as README *CLI* lists them).
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace sy::test;

namespace {

std::string url_of(const daemon_process& d) {
  return "http://127.0.0.1:" + std::to_string(d.port());
}

json::object only_object_line(const run_result& r) {
  INFO("exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(!r.out.empty());
  REQUIRE(r.out.back() == '\n');
  REQUIRE(r.out.find('\n') == r.out.size() - 1); // one line
  auto v = parse_json(r.out);
  REQUIRE(v.is_object());
  return v.as_object();
}

} // namespace

TEST_CASE("cli: publish prints the stored event and the same key twice is one event",
          "[integration][cli]") {
  daemon_process d;
  auto first = run_switchyard({"publish", "cli.orders", R"({"n":1})", "--type", "order.created",
                               "--key", "k-1", "--url", url_of(d)});
  REQUIRE(first.exit_code == 0);
  auto ev = only_object_line(first);
  CHECK(field_s(ev, "channel") == "cli.orders");
  CHECK(field_i(ev, "seq") == 1);
  CHECK(field_s(ev, "type") == "order.created");
  CHECK(field_s(ev, "idempotencyKey") == "k-1");
  CHECK(to_text(ev["data"]) == R"({"n":1})");
  CHECK(field_b(ev, "duplicate", true) == false);
  CHECK(is_rfc3339_ms(field_s(ev, "timestamp")));

  // SWITCHYARD_URL instead of --url; the same key: the first event, not a second one.
  auto again = run_switchyard({"publish", "cli.orders", R"({"n":2})", "--key", "k-1"},
                              {{"SWITCHYARD_URL", url_of(d)}});
  REQUIRE(again.exit_code == 0);
  auto dup = only_object_line(again);
  CHECK(field_i(dup, "seq") == 1);
  CHECK(field_s(dup, "id") == field_s(ev, "id"));
  CHECK(field_b(dup, "duplicate") == true);

  http_client h(d.port());
  auto res = h.request("GET", "/v1/channels/cli.orders/events", "", api_key_auth());
  REQUIRE(res.status == 200);
  auto page = parse_json(res.body);
  REQUIRE(page.is_object());
  CHECK(page.as_object()["events"].as_array().size() == 1);

  // Any JSON value is the data; a plain publish gets the default type.
  auto plain = run_switchyard({"publish", "cli.orders", R"("hi")", "--url", url_of(d)});
  REQUIRE(plain.exit_code == 0);
  auto p = only_object_line(plain);
  CHECK(field_i(p, "seq") == 2);
  CHECK(field_s(p, "type") == "message");
  CHECK(field_s(p, "data") == "hi");
}

TEST_CASE("cli: publish exits 2 with the server's error code and 3 when it cannot connect",
          "[integration][cli]") {
  daemon_process d;
  auto wrong_key = run_switchyard({"publish", "cli.x", "1", "--url", url_of(d), "--api-key",
                                   "not-the-key"});
  CHECK(wrong_key.exit_code == 2);
  CHECK(wrong_key.err.find("401") != std::string::npos);
  CHECK(wrong_key.err.find("unauthorized") != std::string::npos);
  CHECK(wrong_key.out.empty());

  auto reserved = run_switchyard({"publish", "log.event", "1", "--url", url_of(d)});
  CHECK(reserved.exit_code == 2);
  CHECK(reserved.err.find("forbidden") != std::string::npos);

  // SWITCHYARD_API_KEY is the credential when no flag is given.
  auto env_key = run_switchyard({"publish", "cli.x", "1", "--url", url_of(d)},
                                {{"SWITCHYARD_API_KEY", "other-key"}});
  CHECK(env_key.exit_code == 2);
  CHECK(env_key.err.find("unauthorized") != std::string::npos);

  auto nobody = run_switchyard({"publish", "cli.x", "1", "--url",
                                "http://127.0.0.1:" + std::to_string(free_port())});
  CHECK(nobody.exit_code == 3);
  CHECK(nobody.err.find("cannot connect") != std::string::npos);
}

TEST_CASE("cli: token --channels mints a token that subscribes where allowed and is refused "
          "elsewhere",
          "[integration][cli][auth]") {
  // Not development mode, and the verifier requires iss and aud: the minted token carries both.
  std::vector<std::string> settings{"--set", "auth.development=false", "--set",
                                    "auth.issuer=https://issuer.test", "--set",
                                    "auth.audience=switchyard-test"};
  daemon_process d(settings);
  auto args = std::vector<std::string>{"token", "--sub", "reader", "--channels", "allowed.*",
                                       "exact.one"};
  args.insert(args.end(), settings.begin(), settings.end());
  auto minted = run_switchyard(args);
  INFO("stderr: " << minted.err);
  REQUIRE(minted.exit_code == 0);
  std::string token = minted.out.substr(0, minted.out.find('\n'));
  REQUIRE(std::count(token.begin(), token.end(), '.') == 2);

  ws_client c;
  REQUIRE(c.connect(d.port(), "/realtime?token=" + token) == 101);
  c.send_text(R"({"op":"subscribe","topics":["allowed.a","exact.one","other"]})");
  auto a = next_object(c);
  CHECK(field_s(a, "op") == "subscribed");
  CHECK(field_s(a, "topic") == "allowed.a");
  auto e = next_object(c);
  CHECK(field_s(e, "op") == "subscribed");
  CHECK(field_s(e, "topic") == "exact.one");
  auto o = next_object(c);
  CHECK(field_s(o, "op") == "error");
  CHECK(field_s(o, "code") == "scope_denied");
  CHECK(field_s(o, "topic") == "other");
  http_client h(d.port());
  publish(h, "allowed.a", R"({"data":{"x":1}})");
  CHECK(field_s(next_event(c), "channel") == "allowed.a");

  // Without --channels the same node lets it subscribe nowhere, and says why at minting.
  args = {"token", "--sub", "reader"};
  args.insert(args.end(), settings.begin(), settings.end());
  auto bare = run_switchyard(args);
  REQUIRE(bare.exit_code == 0);
  CHECK(bare.err.find("--channels") != std::string::npos);
  ws_client b;
  REQUIRE(b.connect(d.port(), "/realtime?token=" + bare.out.substr(0, bare.out.find('\n')))
          == 101);
  b.send_text(R"({"op":"subscribe","topics":["allowed.a"]})");
  CHECK(field_s(next_object(b), "code") == "scope_denied");
}

TEST_CASE("cli: check-config prints indented JSON", "[integration][cli]") {
  auto r = run_switchyard({"check-config", "--set", "realtime.topic_limit=64"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto v = parse_json(r.out);
  REQUIRE(v.is_object());
  CHECK(field_i(v.as_object(), "realtime.topic_limit") == 64);
  CHECK(r.out.rfind("{\n  \"", 0) == 0);
  auto lines = std::count(r.out.begin(), r.out.end(), '\n');
  CHECK(lines > static_cast<long>(v.as_object().size())); // one key a line, and the braces
  std::size_t longest = 0, at = 0;
  for (auto nl = r.out.find('\n'); nl != std::string::npos; nl = r.out.find('\n', at)) {
    longest = std::max(longest, nl - at);
    at = nl + 1;
  }
  CHECK(longest < 300);
  // Secrets stay masked in the indented form too.
  CHECK(r.out.find("test-secret") == std::string::npos);
}

TEST_CASE("cli: usage errors exit 1 and name the problem", "[integration][cli]") {
  struct usage_case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<usage_case> cases = {
    {{"frobnicate"}, "unknown command frobnicate"},
    {{"publish", "--colour", "red"}, "unknown option --colour"},
    {{"publish", "only.channel"}, "expected CHANNEL JSON"},
    {{"publish", "bad channel", "1"}, "invalid channel name"},
    {{"publish", "c", "{not json"}, "not JSON"},
    {{"publish", "c", "1", "--type"}, "--type needs a value"},
    {{"tail"}, "at least one CHANNEL"},
    {{"tail", "a", "b", "--since", "abc-1"}, "CHANNEL=CURSOR"},
    {{"tail", "a", "--scopes", "[1]"}, "JSON object"},
    {{"tail", "a", "--url", "ftp://x"}, "http://"},
    {{"token"}, "--sub NAME is required"},
    {{"token", "--sub", "u", "--channels"}, "--channels needs"},
    {{"token", "--sub", "u", "--channels", "no spaces"}, "invalid channel pattern"},
    {{"token", "--sub", "u", "--ttl", "soon"}, "--ttl"},
    {{"serve", "stray"}, "unexpected argument stray"},
  };
  for (const auto& c : cases) {
    auto r = run_switchyard(c.args);
    INFO("args[0] " << c.args[0] << " stderr: " << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(r.out.empty());
  }
}
