// Shared helpers, plus a Catch listener that prints the daemon logs at the first failed
// assertion of a test case (while the daemon objects are still alive).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>

namespace {

// The macro pastes the type name into an identifier, so the listener lives at global scope.
struct daemon_log_on_failure : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  bool dumped_ = false;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    dumped_ = false;
    TestEventListenerBase::testCaseStarting(info);
  }
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk() && !dumped_) {
      dumped_ = true;
      sy::test::daemon_process::dump_live_logs(std::cerr);
    }
    return true;
  }
};

} // namespace

CATCH_REGISTER_LISTENER(daemon_log_on_failure)

namespace sy::test {

header_list api_key_auth() { return {{"Authorization", "Bearer " + test_api_key}}; }

std::string token_for(const std::string& sub, std::int64_t ttl_s, const std::string& extra_claims) {
  auto now = unix_now();
  std::string claims = "{\"sub\":" + json::serialize(json::value(sub)) + ",\"iat\":"
                       + std::to_string(now) + ",\"exp\":" + std::to_string(now + ttl_s);
  if (!extra_claims.empty())
    claims += "," + extra_claims;
  claims += "}";
  return mint_jwt(test_secret, claims);
}

ws_client connect_fabric(const daemon_process& d, const std::string& sub, ws_connect_options opts) {
  ws_client c;
  int status = c.connect(d.port(), "/realtime?token=" + token_for(sub), opts);
  INFO("upgrade for sub=" << sub << " refused: " << c.last_error() << " body=" << c.refusal_body());
  REQUIRE(status == 101);
  return c;
}

std::map<std::string, json::object> subscribe(ws_client& c, const std::vector<std::string>& topics,
                                              const std::string& extra) {
  json::array arr;
  for (auto& t : topics)
    arr.emplace_back(t);
  std::string frame = R"({"op":"subscribe","topics":)" + json::serialize(arr);
  if (!extra.empty())
    frame += "," + extra;
  frame += "}";
  REQUIRE(c.send_text(frame));
  std::map<std::string, json::object> confirmations;
  for (std::size_t i = 0; i < topics.size(); ++i) {
    auto v = c.read_json(3s);
    INFO("subscribe frame sent: " << frame << "\nframe " << i << " received: " << to_text(v));
    REQUIRE(v.is_object());
    auto& o = v.as_object();
    REQUIRE(field_s(o, "op") == "subscribed");
    confirmations[field_s(o, "topic")] = o;
  }
  for (auto& t : topics) {
    INFO("topic " << t);
    CHECK(confirmations.count(t) == 1);
  }
  return confirmations;
}

json::object publish(http_client& h, const std::string& channel, const std::string& body,
                     int expect_status) {
  auto auth = api_key_auth();
  auth.emplace_back("Content-Type", "application/json");
  auto res = h.request("POST", "/v1/channels/" + channel + "/events", body, auth);
  INFO("POST " << channel << " " << body.substr(0, 200) << " -> " << res.status << " "
               << res.body.substr(0, 400));
  REQUIRE(res.status == expect_status);
  auto v = parse_json(res.body);
  REQUIRE(v.is_object());
  return v.as_object();
}

json::object next_object(ws_client& c, std::chrono::milliseconds timeout) {
  auto v = c.read_json(timeout);
  auto cs = c.closed();
  INFO("frame: " << to_text(v) << (cs ? " (connection closed: code " + std::to_string(cs->code)
                                          + " " + cs->reason + cs->error + ")"
                                      : std::string()));
  REQUIRE(v.is_object());
  return v.as_object();
}

json::object next_event(ws_client& c, std::chrono::milliseconds timeout) {
  auto o = next_object(c, timeout);
  INFO("frame: " << to_text(o));
  REQUIRE(field_s(o, "op") == "event");
  return o;
}

void expect_silence(ws_client& c, std::chrono::milliseconds quiet) {
  auto f = c.read_text(quiet);
  INFO("unexpected frame: " << f.value_or(""));
  CHECK_FALSE(f.has_value());
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

json::value parse_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

std::string field_s(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string())
    return "<missing>";
  return std::string(it->value().as_string());
}

std::int64_t field_i(const json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end())
    return -1;
  if (it->value().is_int64())
    return it->value().as_int64();
  if (it->value().is_uint64())
    return static_cast<std::int64_t>(it->value().as_uint64());
  return -1;
}

bool field_b(const json::object& o, const char* key, bool fallback) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() ? it->value().as_bool() : fallback;
}

const json::object& field_o(const json::object& o, const char* key) {
  static const json::object empty;
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? it->value().as_object() : empty;
}

std::vector<std::string> keys_of(const json::object& o) {
  std::vector<std::string> out;
  for (auto& kv : o)
    out.emplace_back(kv.key());
  return out;
}

std::vector<std::string> keys(std::initializer_list<const char*> names) {
  return std::vector<std::string>(names.begin(), names.end());
}

bool is_rfc3339_ms(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, re);
}

std::string error_code_of(const std::string& body) {
  auto v = parse_json(body);
  if (v.is_object()) {
    auto& err = field_o(v.as_object(), "error");
    auto code = field_s(err, "code");
    if (code != "<missing>")
      return code;
  }
  return "<no error code>";
}

std::string to_text(const json::value& v) { return json::serialize(v); }

std::string promtool_complaints(const std::string& scrape, const std::string& dir) {
  std::string path = dir + "/scrape.prom";
  {
    std::ofstream f(path);
    f << scrape;
  }
  std::string cmd = "promtool check metrics < '" + path + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return "promtool could not be started";
  std::string output;
  char buf[512];
  while (auto n = std::fread(buf, 1, sizeof buf, p))
    output.append(buf, n);
  int status = ::pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "promtool failed: " + output + "\nscrape:\n" + scrape;
  return output.find("error") == std::string::npos ? "" : output;
}

} // namespace sy::test
