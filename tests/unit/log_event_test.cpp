// The two views of one router record: log.event without client identity, log.audit whole.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "actors/log_event.hpp"

using namespace sy;

namespace {

std::vector<std::string> keys(const std::string& json_text) {
  std::vector<std::string> out;
  auto v = boost::json::parse(json_text);
  for (const auto& kv : v.as_object())
    out.emplace_back(kv.key());
  return out;
}

} // namespace

TEST_CASE("log.event shows no client identity, log.audit the whole record", "[log_event]") {
  boost::json::object connect{{"sessionId", "s7"},     {"sub", "xavier"},
                              {"dialect", "gateway"},  {"remote", "10.0.0.1:5000"},
                              {"origin", "https://a"}, {"userAgent", "ua/1"},
                              {"workspace", "acme"}};
  auto [shown, whole] = make_log_events("session.connect", connect);
  CHECK(shown.channel == "log.event");
  CHECK(keys(shown.data_json) == std::vector<std::string>{"sessionId", "dialect"});
  CHECK(shown.metadata_json == R"({"sessionId":"s7"})");
  CHECK(whole.channel == "log.audit");
  CHECK(whole.data_json == boost::json::serialize(connect));
  CHECK(whole.metadata_json == R"({"sessionId":"s7","sub":"xavier"})");

  // Close and quota reasons are shown; an auth refusal's reason is an auth outcome.
  boost::json::object gone{{"sessionId", "s7"}, {"sub", "x"},     {"dialect", "fabric"},
                           {"code", 1000},      {"reason", "bye"}, {"durationMs", 5},
                           {"topics", 2}};
  CHECK(keys(make_log_events("session.disconnect", gone)[0].data_json)
        == std::vector<std::string>{"sessionId", "dialect", "code", "reason", "durationMs",
                                    "topics"});
  boost::json::object denied{{"remote", "10.0.0.1:5000"}, {"dialect", "rest"},
                             {"route", "POST /v1/channels/x/events"}, {"status", 403},
                             {"reason", "token may not publish"}, {"sub", "u"}};
  CHECK(keys(make_log_events("auth.denied", denied)[0].data_json)
        == std::vector<std::string>{"dialect"});
  boost::json::object config{{"config", boost::json::object{{"listen", "127.0.0.1:9009"}}}};
  CHECK(keys(make_log_events("config.loaded", config)[0].data_json)
        == std::vector<std::string>{"config"});
}
