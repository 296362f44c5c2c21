#pragma once
// Helpers shared by the integration tests: credentials, Fabric subscribe, REST publish and JSON
// field access that yields readable Catch output when a field is missing.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/jwt_mint.hpp"
#include "support/ws_client.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sy::test {

namespace json = boost::json;

// The daemon_process defaults (see support/daemon_process.hpp).
inline const std::string test_secret = "test-secret";
inline const std::string test_api_key = "test-key";

/// Authorization header for the REST API key.
header_list api_key_auth();
/// HS256 token for `sub` signed with the test secret, expiring in `ttl_s` (may be negative).
/// `extra_claims` is appended inside the claims object, e.g. R"("admin":true)".
std::string token_for(const std::string& sub, std::int64_t ttl_s = 3600,
                      const std::string& extra_claims = "");

/// Connects to /realtime?token=<token_for(sub)>; REQUIREs a 101.
ws_client connect_fabric(const daemon_process& d, const std::string& sub,
                         ws_connect_options opts = {});

/// Sends {"op":"subscribe","topics":[...]<extra>} and REQUIREs one `subscribed` per topic
/// (in any order, no other frame in between). `extra` is raw JSON members, e.g. R"("scopes":{})".
std::map<std::string, json::object> subscribe(ws_client& c, const std::vector<std::string>& topics,
                                              const std::string& extra = "");

/// POSTs `body` to /v1/channels/<channel>/events with the API key; REQUIREs `expect_status`.
json::object publish(http_client& h, const std::string& channel, const std::string& body,
                     int expect_status = 201);

/// Next frame as an object with op == "event" (REQUIREd), within `timeout`.
json::object next_event(ws_client& c, std::chrono::milliseconds timeout = 3s);

/// Next frame as an object (REQUIREd), whatever its op.
json::object next_object(ws_client& c, std::chrono::milliseconds timeout = 3s);

/// REQUIREs that no frame arrives within `quiet`.
void expect_silence(ws_client& c, std::chrono::milliseconds quiet = 400ms);

/// A loopback TCP port that was free a moment ago (a cluster node's port, chosen by the test).
std::uint16_t free_port();

json::value parse_json(const std::string& text); // null when not JSON
std::string field_s(const json::object& o, const char* key);   // "<missing>" when absent/not string
std::int64_t field_i(const json::object& o, const char* key);  // -1 when absent/not integer
bool field_b(const json::object& o, const char* key, bool fallback = false);
const json::object& field_o(const json::object& o, const char* key); // empty object when absent
std::vector<std::string> keys_of(const json::object& o);
std::vector<std::string> keys(std::initializer_list<const char*> names);
/// RFC 3339 UTC with milliseconds: 2026-11-23T10:00:00.000Z
bool is_rfc3339_ms(const std::string& s);
/// REST error body {"error":{"code":...}} -> code, or "<no error code>".
std::string error_code_of(const std::string& body);
std::string to_text(const json::value& v);

/// `promtool check metrics` on a scrape (written to `dir`): empty when it accepts it, else
/// promtool's output (and the scrape when promtool itself failed).
std::string promtool_complaints(const std::string& scrape, const std::string& dir);

} // namespace sy::test
