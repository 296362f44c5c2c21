// The admin API (PROTOCOL.md "Admin API") on a real daemon over real sockets: channel pages and
// detail (with a room's presence), the connection list across dialects, operator closes (4011
// on a WebSocket, `event: close` on an SSE stream), per-user disconnect, the admin-only rule,
// the audit record of a close, and the 404/400 answers.
#include "durable_support.hpp"
#include "fixture.hpp"
#include "raw_conn.hpp"
#include "rooms_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <thread>

using namespace sy::test;
using steady = std::chrono::steady_clock;

namespace {

header_list bearer(const std::string& credential) {
  return {{"Authorization", "Bearer " + credential}};
}

json::object get_ok(http_client& h, const std::string& target) {
  auto r = h.request("GET", target, {}, api_key_auth());
  INFO("GET " << target << " -> " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  auto v = parse_json(r.body);
  REQUIRE(v.is_object());
  return v.as_object();
}

std::vector<std::string> channel_names(const json::object& page) {
  std::vector<std::string> out;
  if (auto* a = page.if_contains("channels"); a && a->is_array())
    for (const auto& c : a->as_array())
      out.push_back(field_s(c.as_object(), "name"));
  return out;
}

// The connection rows of every page, followed with ?after= (bounded).
std::vector<json::object> all_connections(http_client& h) {
  std::vector<json::object> rows;
  std::string after;
  for (int i = 0; i < 20; ++i) {
    auto page = get_ok(h, "/v1/connections?limit=50" + (after.empty() ? "" : "&after=" + after));
    for (const auto& c : page["connections"].as_array())
      rows.push_back(c.as_object());
    if (page["next"].is_null())
      break;
    after = field_s(page, "next");
  }
  return rows;
}

std::vector<json::object> rows_of(const std::vector<json::object>& rows, const std::string& user) {
  std::vector<json::object> out;
  for (const auto& r : rows)
    if (field_s(r, "user") == user)
      out.push_back(r);
  return out;
}

// Sessions register once admitted (a message after the upgrade): waits until `user` has `n`
// rows with their subscriptions in place (bounded).
std::vector<json::object> wait_rows(http_client& h, const std::string& user, std::size_t n,
                                    std::int64_t subscriptions = -1) {
  std::vector<json::object> rows;
  for (auto deadline = steady::now() + 5s; steady::now() < deadline;) {
    rows = rows_of(all_connections(h), user);
    bool ready = rows.size() == n;
    for (const auto& r : rows)
      ready = ready && (subscriptions < 0 || field_i(r, "subscriptions") == subscriptions);
    if (ready)
      return rows;
    std::this_thread::sleep_for(20ms);
  }
  return rows;
}

std::string stream_request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
}

void open_stream(raw_conn& c, const std::string& target) {
  REQUIRE(c.ok());
  REQUIRE(c.send(stream_request(target)));
  REQUIRE(c.wait_for("event: subscribed", 1, 5s));
  REQUIRE(c.status() == "200");
}

ws_client connect_gateway(const daemon_process& d, const std::string& sub) {
  ws_client c;
  ws_connect_options o;
  o.headers = bearer(token_for(sub, 3600, R"("workspaces":["acme"])"));
  REQUIRE(c.connect(d.port(), "/workspaces/acme/realtime/connect", o) == 101);
  return c;
}

int close_code_of(ws_client& c, std::string* reason = nullptr) {
  auto st = c.wait_closed(5s);
  REQUIRE(st);
  if (reason)
    *reason = st->reason;
  return st->code;
}

} // namespace

TEST_CASE("admin API lists channels by prefix across two pages with exact names",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  for (const char* c : {"adm.c", "adm.a", "other.x", "adm.b", "adn.z"})
    publish(h, c, R"({"type":"t","data":{}})");
  auto first = get_ok(h, "/v1/channels?prefix=adm.&limit=2");
  CHECK(channel_names(first) == std::vector<std::string>{"adm.a", "adm.b"});
  CHECK(field_s(first, "next") == "adm.b");
  auto second = get_ok(h, "/v1/channels?prefix=adm.&limit=2&after=adm.b");
  CHECK(channel_names(second) == std::vector<std::string>{"adm.c"});
  CHECK(second["next"].is_null());
  // Without a prefix every live channel is listed, sorted by name (log channels included).
  auto all = channel_names(get_ok(h, "/v1/channels"));
  CHECK(std::is_sorted(all.begin(), all.end()));
  CHECK(std::count(all.begin(), all.end(), "other.x") == 1);
  CHECK(std::count(all.begin(), all.end(), "adn.z") == 1);
  auto row = get_ok(h, "/v1/channels?prefix=adm.a&limit=1")["channels"].as_array().at(0).as_object();
  CHECK(keys_of(row) == keys({"name", "subscribers", "lastSeq", "retained", "epoch"}));
}

TEST_CASE("admin API channel detail counts publishes and subscribers", "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  for (int i = 0; i < 3; ++i)
    publish(h, "det.x", R"({"type":"t","data":{}})");
  auto c = connect_fabric(d, "alice");
  subscribe(c, {"det.x"});
  auto detail = get_ok(h, "/v1/channels/det.x");
  CHECK(field_s(detail, "name") == "det.x");
  CHECK(field_i(detail, "subscribers") == 1);
  CHECK(field_i(detail, "lastSeq") == 3);
  CHECK(field_i(detail, "retained") == 3);
  CHECK(detail["epoch"].is_number());
  CHECK_FALSE(detail.contains("presence"));
  auto missing = h.request("GET", "/v1/channels/det.none", {}, api_key_auth());
  CHECK(missing.status == 404);
  CHECK(error_code_of(missing.body) == "not_found");
}

TEST_CASE("admin API channel detail of room.R shows the room's members", "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  auto alice = connect_member(d, "alice");
  join(alice, "lobby", R"(,"info":{"name":"Alice"})");
  auto detail = get_ok(h, "/v1/channels/room.lobby");
  INFO(to_text(detail));
  CHECK(field_i(detail, "subscribers") == 1);
  auto presence = field_o(detail, "presence");
  CHECK(field_s(presence, "room") == "lobby");
  REQUIRE(presence.contains("members"));
  REQUIRE(presence.at("members").as_array().size() == 1);
  CHECK(to_text(presence.at("members")).find("alice") != std::string::npos);
}

TEST_CASE("admin API lists a Fabric WebSocket, a gateway WebSocket and an SSE stream",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  auto fabric = connect_fabric(d, "alice");
  subscribe(fabric, {"conn.a", "conn.b"});
  auto gateway = connect_gateway(d, "bob");
  REQUIRE(gateway.send_text(R"({"type":"subscribe","channel":"postgres:products"})"));
  CHECK(field_s(next_object(gateway), "type") == "subscribed");
  raw_conn sse(d.port());
  open_stream(sse, "/v1/channels/conn.s/stream?token=" + token_for("carol"));

  for (auto [user, dialect, subs] : {std::tuple{"alice", "fabric", 2}, {"bob", "gateway", 1},
                                     {"carol", "sse", 1}}) {
    auto rows = wait_rows(h, user, 1, subs);
    INFO(user);
    REQUIRE(rows.size() == 1);
    const auto& r = rows[0];
    CHECK(keys_of(r) == keys({"id", "dialect", "user", "address", "subscriptions", "queuedBytes",
                              "connectedAt"}));
    CHECK(field_s(r, "id").rfind("s", 0) == 0);
    CHECK(field_s(r, "dialect") == dialect);
    CHECK(field_s(r, "address").rfind("127.0.0.1:", 0) == 0);
    CHECK(field_i(r, "subscriptions") == subs);
    CHECK(field_i(r, "queuedBytes") == 0);
    CHECK(is_rfc3339_ms(field_s(r, "connectedAt")));
  }
  // Two pages of one row each, in id order, the first naming the second's start.
  auto one = get_ok(h, "/v1/connections?limit=1");
  REQUIRE(one["connections"].as_array().size() == 1);
  auto next = field_s(one, "next");
  CHECK(next == field_s(one["connections"].as_array()[0].as_object(), "id"));
  auto two = get_ok(h, "/v1/connections?limit=1&after=" + next);
  REQUIRE(two["connections"].as_array().size() == 1);
  CHECK(field_s(two["connections"].as_array()[0].as_object(), "id") != next);
}

TEST_CASE("admin API DELETE closes a WebSocket with 4011 and ends an SSE stream",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  auto ws = connect_fabric(d, "alice");
  subscribe(ws, {"kick.a"});
  raw_conn sse(d.port());
  open_stream(sse, "/v1/channels/kick.s/stream?token=" + token_for("carol"));
  auto ws_id = field_s(wait_rows(h, "alice", 1, 1).at(0), "id");
  auto sse_id = field_s(wait_rows(h, "carol", 1, 1).at(0), "id");

  auto r = h.request("DELETE", "/v1/connections/" + ws_id, {}, api_key_auth());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(to_text(parse_json(r.body)) == R"({"id":")" + ws_id + R"(","closed":true})");
  std::string reason;
  CHECK(close_code_of(ws, &reason) == 4011);
  CHECK(reason == "closed_by_admin");

  r = h.request("DELETE", "/v1/connections/" + sse_id, {}, api_key_auth());
  REQUIRE(r.status == 200);
  REQUIRE(sse.wait_for("event: close", 1, 5s));
  CHECK(sse.received().find(R"(data: {"code":4011,"reason":"closed_by_admin"})")
        != std::string::npos);
  CHECK(sse.closed_within(5s));
  // Gone from the list once closed. A page listing a session that ended before it answered
  // leaves it out at once (its monitor) rather than waiting for the page's deadline (2.5 s).
  auto started = steady::now();
  CHECK(wait_rows(h, "alice", 0).empty());
  CHECK(wait_rows(h, "carol", 0).empty());
  CHECK(steady::now() - started < 2s);
}

TEST_CASE("admin API user disconnect closes every connection of that subject and no other",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  auto d1 = connect_fabric(d, "dave");
  auto d2 = connect_fabric(d, "dave");
  auto e = connect_fabric(d, "erin");
  REQUIRE(wait_rows(h, "dave", 2).size() == 2);
  REQUIRE(wait_rows(h, "erin", 1).size() == 1);
  auto r = h.request("POST", "/v1/users/dave/disconnect", {}, api_key_auth());
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(to_text(parse_json(r.body)) == R"({"user":"dave","closed":2})");
  CHECK(close_code_of(d1) == 4011);
  CHECK(close_code_of(d2) == 4011);
  CHECK(e.ping());
  CHECK(e.is_open());
  r = h.request("POST", "/v1/users/nobody/disconnect", {}, api_key_auth());
  CHECK(r.status == 200);
  CHECK(to_text(parse_json(r.body)) == R"({"user":"nobody","closed":0})");
}

TEST_CASE("admin API refuses a non-admin token with 403 and no credential with 401",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  auto user = bearer(token_for("mallory"));
  auto admin = bearer(token_for("root", 3600, R"("admin":true)"));
  for (auto [method, target] :
       {std::pair{"GET", "/v1/channels"}, {"GET", "/v1/channels/x"}, {"GET", "/v1/connections"},
        {"DELETE", "/v1/connections/s1"}, {"POST", "/v1/users/bob/disconnect"}}) {
    INFO(method << " " << target);
    auto none = h.request(method, target);
    CHECK(none.status == 401);
    CHECK(error_code_of(none.body) == "unauthorized");
    auto other = h.request(method, target, {}, user);
    CHECK(other.status == 403);
    CHECK(error_code_of(other.body) == "forbidden");
  }
  CHECK(h.request("GET", "/v1/connections", {}, admin).status == 200);
}

TEST_CASE("admin API records an operator close in log.audit", "[integration][admin]") {
  temp_data_dir dir;
  REQUIRE_FALSE(dir.path.empty());
  const std::string audit_file = dir.path + "/audit.jsonl";
  daemon_process d({"--set", "audit.file=" + audit_file});
  http_client h(d.port());
  auto victim = connect_fabric(d, "victor");
  auto id = field_s(wait_rows(h, "victor", 1).at(0), "id");
  auto admin = bearer(token_for("root", 3600, R"("admin":true)"));
  REQUIRE(h.request("DELETE", "/v1/connections/" + id, {}, admin).status == 200);
  CHECK(close_code_of(victim) == 4011);
  // log.audit read with the API key (its history holds the router's records).
  json::object record;
  for (auto deadline = steady::now() + 5s; record.empty() && steady::now() < deadline;) {
    auto page = get_ok(h, "/v1/channels/log.audit/events?limit=1000");
    for (const auto& e : page["events"].as_array())
      if (field_s(e.as_object(), "type") == "admin.disconnect")
        record = e.as_object();
    if (record.empty())
      std::this_thread::sleep_for(20ms);
  }
  INFO(to_text(record));
  REQUIRE_FALSE(record.empty());
  auto data = field_o(record, "data");
  CHECK(field_s(data, "admin") == "root");
  CHECK(field_s(data, "route") == "DELETE /v1/connections/" + id);
  CHECK(field_s(data, "target") == id);
  CHECK(field_s(data, "result") == "closed");
  CHECK(field_i(data, "closed") == 1);
  // The API key is named as such.
  auto other = connect_fabric(d, "victor");
  REQUIRE(wait_rows(h, "victor", 1).size() == 1);
  REQUIRE(h.request("POST", "/v1/users/victor/disconnect", {}, api_key_auth()).status == 200);
  CHECK(close_code_of(other) == 4011);
  json::object by_key;
  for (auto deadline = steady::now() + 5s; by_key.empty() && steady::now() < deadline;) {
    auto page = get_ok(h, "/v1/channels/log.audit/events?limit=1000");
    for (const auto& e : page["events"].as_array())
      if (field_s(e.as_object(), "type") == "admin.disconnect"
          && field_s(field_o(e.as_object(), "data"), "admin") == "api_key")
        by_key = e.as_object();
    if (by_key.empty())
      std::this_thread::sleep_for(20ms);
  }
  INFO(to_text(by_key));
  CHECK(field_s(field_o(by_key, "data"), "target") == "victor");
  CHECK(field_i(field_o(by_key, "data"), "closed") == 1);
  // The same two records in the audit file, and one operator log line each.
  std::ifstream in(audit_file);
  std::string line;
  int in_file = 0;
  while (std::getline(in, line))
    if (line.find(R"("type":"admin.disconnect")") != std::string::npos
        && line.find(R"("result":"closed")") != std::string::npos)
      ++in_file;
  CHECK(in_file == 2);
  auto log = d.log();
  std::size_t lines = 0;
  for (auto pos = log.find("connections closed by an operator"); pos != std::string::npos;
       pos = log.find("connections closed by an operator", pos + 1))
    ++lines;
  CHECK(lines == 2);
}

TEST_CASE("admin API answers 404 for an unknown connection and 400 for bad paging",
          "[integration][admin]") {
  daemon_process d;
  http_client h(d.port());
  for (const char* id : {"s999999999", "nope"}) {
    auto r = h.request("DELETE", std::string("/v1/connections/") + id, {}, api_key_auth());
    INFO(id << " " << r.body);
    CHECK(r.status == 404);
    CHECK(error_code_of(r.body) == "not_found");
  }
  for (const char* target : {"/v1/connections?limit=0", "/v1/connections?limit=1001",
                             "/v1/connections?limit=ten", "/v1/channels?limit=-1",
                             "/v1/channels?limit=5000", "/v1/connections?after=x1"}) {
    auto r = h.request("GET", target, {}, api_key_auth());
    INFO(target << " " << r.body);
    CHECK(r.status == 400);
    CHECK(error_code_of(r.body) == "bad_request");
  }
  CHECK(h.request("GET", "/v1/channels?limit=1000", {}, api_key_auth()).status == 200);
}

TEST_CASE("admin API stops listing a retired channel and a store read makes it live again",
          "[integration][admin]") {
  temp_data_dir dir;
  REQUIRE_FALSE(dir.path.empty());
  daemon_process d(durable_args(dir, {"--set", "channel.idle_ms=200", "--set",
                                      "channel.empty_idle_ms=100"}));
  http_client h(d.port());
  for (int i = 0; i < 3; ++i)
    publish(h, "ret.x", R"({"type":"t","data":{}})");
  auto live = get_ok(h, "/v1/channels/ret.x");
  CHECK(field_i(live, "lastSeq") == 3);
  CHECK(field_i(live, "retained") == 3);
  // Unused, it retires: gone from the list and the detail (the listing itself is no use).
  int status = 200;
  for (auto deadline = steady::now() + 10s; status == 200 && steady::now() < deadline;) {
    std::this_thread::sleep_for(100ms);
    status = h.request("GET", "/v1/channels/ret.x", {}, api_key_auth()).status;
  }
  REQUIRE(status == 404);
  CHECK(channel_names(get_ok(h, "/v1/channels?prefix=ret.")).empty());
  // Its events are still in the store: a history read loads it, and it is listed again.
  CHECK(read_all(h, "ret.x").size() == 3);
  auto again = get_ok(h, "/v1/channels/ret.x");
  CHECK(field_i(again, "lastSeq") == 3);
  CHECK(field_i(again, "retained") == 3);
  CHECK(channel_names(get_ok(h, "/v1/channels?prefix=ret.")) == std::vector<std::string>{"ret.x"});
}

TEST_CASE("admin API shows the bytes queued for a client that stopped reading",
          "[integration][admin]") {
  // A queue bound far above what the test publishes: the connection stays, its queue grows.
  daemon_process d({"--set", "realtime.outbound_queue_bytes=33554432"});
  http_client h(d.port());
  ws_connect_options tiny;
  tiny.rcvbuf_bytes = 4096; // the server's socket buffer fills, then bytes wait in the queue
  auto slow = connect_fabric(d, "stuck", tiny);
  subscribe(slow, {"bulk.q"});
  REQUIRE(wait_rows(h, "stuck", 1, 1).size() == 1);
  const std::string blob(16 * 1024, 'b');
  std::int64_t queued = 0;
  for (int i = 1; i <= 1200 && queued <= 0; ++i) {
    publish(h, "bulk.q", R"({"data":{"blob":")" + blob + "\"}}");
    if (i % 20 == 0)
      queued = field_i(wait_rows(h, "stuck", 1).at(0), "queuedBytes");
  }
  INFO("queuedBytes " << queued);
  CHECK(queued > 0);
  CHECK(slow.is_open());
}
