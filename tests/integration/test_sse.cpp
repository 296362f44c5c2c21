// Server-Sent Events (GET /v1/channels/{c}/stream) over real sockets: a raw HTTP client that
// reads the exact bytes, and a real `curl -N` process. PROTOCOL.md "Server-Sent Events".
#include "fixture.hpp"
#include "raw_conn.hpp"
#include "support/tls_clients.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <thread>

using namespace sy::test;

namespace {

// One parsed SSE event: its fields as the EventSource algorithm reads them.
struct sse_event {
  std::string id, type, data;
};

// The events (not comments) fully received after the response head.
std::vector<sse_event> parse_events(const std::string& bytes) {
  std::vector<sse_event> out;
  auto body = bytes.find("\r\n\r\n");
  if (body == std::string::npos)
    return out;
  std::size_t pos = body + 4;
  for (;;) {
    auto end = bytes.find("\n\n", pos);
    if (end == std::string::npos)
      break;
    sse_event e;
    bool any = false;
    std::size_t line = pos;
    while (line < end) {
      auto nl = bytes.find('\n', line);
      if (nl == std::string::npos || nl > end)
        nl = end;
      std::string l = bytes.substr(line, nl - line);
      line = nl + 1;
      auto colon = l.find(':');
      if (colon == 0 || colon == std::string::npos)
        continue; // a comment
      std::string field = l.substr(0, colon);
      std::string value = l.substr(colon + 1);
      if (!value.empty() && value[0] == ' ')
        value.erase(0, 1);
      any = true;
      if (field == "id")
        e.id = value;
      else if (field == "event")
        e.type = value;
      else if (field == "data")
        e.data += value;
    }
    if (any)
      out.push_back(e);
    pos = end + 2;
  }
  return out;
}

std::vector<sse_event> only(const std::vector<sse_event>& all, const std::string& type) {
  std::vector<sse_event> out;
  for (const auto& e : all)
    if (e.type == type)
      out.push_back(e);
  return out;
}

std::string url_encode(const std::string& s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string stream_request(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
         + extra_headers + "\r\n";
}

// Opens a stream and waits for its first event (subscribed or reset).
void open_stream(raw_conn& c, const std::string& target, const std::string& headers = "") {
  REQUIRE(c.ok());
  REQUIRE(c.send(stream_request(target, headers)));
  REQUIRE(c.wait_for("\n\n", 1, 5s)); // the head's blank line is \r\n\r\n: this is an event
  INFO(c.received());
  REQUIRE(c.status() == "200");
  REQUIRE(c.wait_for("event: ", 1, 5s));
}

std::string publish_body(int i, const std::string& type = "tick") {
  return R"({"type":")" + type + R"(","data":{"i":)" + std::to_string(i) + "}}";
}

std::int64_t seq_of(const sse_event& e) {
  auto v = parse_json(e.data);
  return v.is_object() ? field_i(v.as_object(), "seq") : -1;
}

} // namespace

TEST_CASE("SSE delivers each event with its cursor as id, its type as event and its JSON as data",
          "[integration][sse]") {
  daemon_process d;
  http_client rest(d.port());
  raw_conn c(d.port());
  open_stream(c, "/v1/channels/sse.basic/stream?token=" + token_for("alice"));
  INFO(c.received());
  CHECK(c.received().find("Content-Type: text/event-stream\r\n") != std::string::npos);
  CHECK(c.received().find("Cache-Control: no-cache\r\n") != std::string::npos);
  auto first = parse_events(c.received());
  REQUIRE(first.size() == 1);
  CHECK(first[0].type == "subscribed");
  CHECK(first[0].id.empty()); // the confirmation never moves Last-Event-ID
  std::vector<json::object> published;
  for (int i = 1; i <= 3; ++i)
    published.push_back(publish(rest, "sse.basic", publish_body(i, "upload")));
  REQUIRE(c.wait_for("id: ", 3, 5s));
  REQUIRE(c.wait_for("\n\n", 4, 5s));
  auto events = only(parse_events(c.received()), "upload");
  REQUIRE(events.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(events[i].id == field_s(published[i], "id"));
    auto data = parse_json(events[i].data);
    REQUIRE(data.is_object());
    CHECK(field_s(data.as_object(), "channel") == "sse.basic");
    CHECK(field_i(data.as_object(), "seq") == i + 1);
    CHECK(field_s(data.as_object(), "type") == "upload");
    CHECK(to_text(field_o(data.as_object(), "data")) == R"({"i":)" + std::to_string(i + 1) + "}");
  }
}

TEST_CASE("SSE resumes with Last-Event-ID and with since while publishing, no gap no duplicate",
          "[integration][sse]") {
  constexpr int total = 300;
  daemon_process d;
  const auto token = token_for("resumer");
  for (const bool header : {true, false}) {
    const std::string channel = header ? "sse.resume.h" : "sse.resume.q";
    // The first stream is open before the first publish: it starts at seq 1.
    auto first = std::make_unique<raw_conn>(d.port());
    open_stream(*first, "/v1/channels/" + channel + "/stream?token=" + token);
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::thread publisher([&] {
      http_client rest(d.port());
      for (int i = 1; i <= total && !stop; ++i) {
        rest.request("POST", "/v1/channels/" + channel + "/events", publish_body(i),
                     api_key_auth());
        sent = i;
        if (i % 10 == 0)
          std::this_thread::sleep_for(2ms);
      }
    });
    struct join_guard {
      std::thread& t;
      std::atomic<bool>& stop;
      ~join_guard() {
        stop = true;
        if (t.joinable())
          t.join();
      }
    } guard{publisher, stop};
    std::vector<std::int64_t> seqs;
    std::string last_id;
    // Three connections, each dropped after some events; each resumes after the last id seen.
    auto deadline = std::chrono::steady_clock::now() + 30s;
    for (int round = 0; round < 3 && std::chrono::steady_clock::now() < deadline; ++round) {
      std::unique_ptr<raw_conn> conn = std::move(first);
      if (!conn) {
        REQUIRE(!last_id.empty());
        conn = std::make_unique<raw_conn>(d.port());
        std::string target = "/v1/channels/" + channel + "/stream?token=" + token;
        std::string headers;
        if (header)
          headers = "Last-Event-ID: " + last_id + "\r\n";
        else
          target += "&since=" + url_encode(last_id);
        open_stream(*conn, target, headers);
      }
      raw_conn& c = *conn;
      const std::size_t want = round < 2 ? 60 : static_cast<std::size_t>(total);
      std::vector<sse_event> events;
      while (std::chrono::steady_clock::now() < deadline) {
        events = only(parse_events(c.received()), "tick");
        if (seqs.size() + events.size() >= want)
          break;
        c.wait_for("id: ", events.size() + 1, 1s);
      }
      auto all = parse_events(c.received());
      REQUIRE(!all.empty());
      if (!last_id.empty()) {
        CHECK(all[0].type == "subscribed"); // history covers the gap
        CHECK(all[0].data.find("\"recovered\":true") != std::string::npos);
      }
      for (const auto& e : events) {
        seqs.push_back(seq_of(e));
        last_id = e.id;
      }
    }
    INFO("channel " << channel << " published " << sent.load());
    REQUIRE(seqs.size() >= static_cast<std::size_t>(total));
    for (std::size_t i = 0; i < seqs.size(); ++i)
      REQUIRE(seqs[i] == static_cast<std::int64_t>(i + 1));
  }
}

TEST_CASE("SSE says reset when the history no longer covers the gap", "[integration][sse]") {
  daemon_process d({"--set", "history.size=5"});
  http_client rest(d.port());
  auto first = publish(rest, "sse.gap", publish_body(1));
  for (int i = 2; i <= 20; ++i)
    publish(rest, "sse.gap", publish_body(i));
  raw_conn c(d.port());
  open_stream(c, "/v1/channels/sse.gap/stream?token=" + token_for("g") + "&since="
                   + url_encode(field_s(first, "id")));
  REQUIRE(c.wait_for("id: ", 5, 5s));
  REQUIRE(c.wait_for("\n\n", 6, 5s));
  auto all = parse_events(c.received());
  INFO(c.received());
  REQUIRE(all.size() == 6);
  CHECK(all[0].type == "reset");
  CHECK(all[0].data.find("\"recovered\":false") != std::string::npos);
  CHECK(seq_of(all[1]) == 16); // every event still retained, oldest first
  CHECK(seq_of(all[5]) == 20);
}

TEST_CASE("SSE applies scopes and filter like a WebSocket subscribe", "[integration][sse]") {
  daemon_process d;
  http_client rest(d.port());
  const auto token = token_for("f");
  raw_conn scoped(d.port());
  open_stream(scoped, "/v1/channels/sse.filters/stream?token=" + token
                        + "&scopes=" + url_encode(R"({"tenant":"a"})"));
  raw_conn filtered(d.port());
  open_stream(filtered, "/v1/channels/sse.filters/stream?token=" + token + "&filter="
                          + url_encode(R"({"predicates":{"price":{"$gte":100}}})"));
  publish(rest, "sse.filters", R"({"data":{"price":5},"metadata":{"tenant":"b"}})");
  publish(rest, "sse.filters", R"({"data":{"price":150},"metadata":{"tenant":"b"}})");
  publish(rest, "sse.filters", R"({"data":{"price":7},"metadata":{"tenant":"a"}})");
  publish(rest, "sse.filters", R"({"data":{"price":200},"metadata":{"tenant":"a"}})");
  REQUIRE(scoped.wait_for("id: ", 2, 5s));
  REQUIRE(filtered.wait_for("id: ", 2, 5s));
  scoped.wait_for("id: ", 3, 400ms); // nothing more may come
  filtered.wait_for("id: ", 3, 1ms);
  auto s = only(parse_events(scoped.received()), "message");
  auto f = only(parse_events(filtered.received()), "message");
  REQUIRE(s.size() == 2);
  CHECK(seq_of(s[0]) == 3);
  CHECK(seq_of(s[1]) == 4);
  REQUIRE(f.size() == 2);
  CHECK(seq_of(f[0]) == 2);
  CHECK(seq_of(f[1]) == 4);
  // A filter that does not compile is refused before the stream starts.
  raw_conn bad(d.port());
  REQUIRE(bad.send(stream_request("/v1/channels/sse.filters/stream?token=" + token + "&filter="
                                  + url_encode(R"({"predicates":{"price":{"$nope":1}}})"))));
  REQUIRE(bad.wait_for("\r\n\r\n", 1, 5s));
  CHECK(bad.status() == "400");
  CHECK(bad.wait_for("invalid_filter", 1, 2s));
}

TEST_CASE("SSE sends comment heartbeats on an idle stream", "[integration][sse]") {
  daemon_process d({"--set", "sse.heartbeat_ms=150"});
  raw_conn c(d.port());
  open_stream(c, "/v1/channels/sse.hb/stream?token=" + token_for("h"));
  REQUIRE(c.wait_for(": heartbeat\n\n", 3, 3s));
}

TEST_CASE("SSE refuses a bad token with 401, a channel not granted with 403, a bad cursor with 400",
          "[integration][sse]") {
  daemon_process d;
  auto status_of = [&](const std::string& target, const std::string& headers = "") {
    raw_conn c(d.port());
    REQUIRE(c.send(stream_request(target, headers)));
    REQUIRE(c.wait_for("\r\n\r\n", 1, 5s));
    REQUIRE(c.closed_within(5s)); // a refusal is a plain reply that ends the connection
    return c.status() + " " + error_code_of(c.received().substr(c.received().find("\r\n\r\n") + 4));
  };
  CHECK(status_of("/v1/channels/sse.x/stream") == "401 unauthorized");
  CHECK(status_of("/v1/channels/sse.x/stream?token=garbage") == "401 unauthorized");
  CHECK(status_of("/v1/channels/sse.x/stream?token=" + token_for("old", -3600))
        == "401 unauthorized");
  const auto narrow = token_for("narrow", 3600, R"("channels":["sse.allowed.*"])");
  CHECK(status_of("/v1/channels/sse.secret/stream?token=" + narrow) == "403 scope_denied");
  CHECK(status_of("/v1/channels/log.audit/stream?token=" + token_for("u")) == "403 scope_denied");
  CHECK(status_of("/v1/channels/sse.x/stream?since=nope&token=" + narrow)
        == "403 scope_denied");
  CHECK(status_of("/v1/channels/sse.allowed.x/stream?since=nope&token=" + narrow)
        == "400 bad_cursor");
  // The token in the Authorization header works as well as ?token=.
  raw_conn ok(d.port());
  open_stream(ok, "/v1/channels/sse.allowed.x/stream", "Authorization: Bearer " + narrow + "\r\n");
}

TEST_CASE("SSE answers a cross-origin EventSource by the realtime.origins rule",
          "[integration][sse]") {
  daemon_process d({"--set", "realtime.origins=https://app.example.com"});
  const auto token = token_for("o");
  raw_conn allowed(d.port());
  open_stream(allowed, "/v1/channels/sse.cors/stream?token=" + token,
              "Origin: https://app.example.com\r\n");
  CHECK(allowed.received().find("Access-Control-Allow-Origin: https://app.example.com\r\n")
        != std::string::npos);
  raw_conn denied(d.port());
  REQUIRE(denied.send(stream_request("/v1/channels/sse.cors/stream?token=" + token,
                                     "Origin: https://evil.example.org\r\n")));
  REQUIRE(denied.wait_for("\r\n\r\n", 1, 5s));
  CHECK(denied.status() == "403");
  CHECK(denied.received().find("origin_denied") != std::string::npos);
}

TEST_CASE("SSE ends the stream of a slow consumer at realtime.outbound_queue_bytes",
          "[integration][sse][slow]") {
  // A long close timeout: the closing event waits for the client to read, and is checked.
  daemon_process d({"--set", "realtime.outbound_queue_bytes=65536", "--set",
                    "realtime.close_timeout_ms=30000"});
  http_client rest(d.port());
  raw_conn slow(d.port(), nullptr, 4096);
  open_stream(slow, "/v1/channels/sse.slow/stream?token=" + token_for("slow"));
  const std::string blob(16 * 1024, 'b');
  constexpr int total = 200; // 3.2 MB: far more than the socket buffers and the queue hold
  for (int i = 0; i < total; ++i)
    publish(rest, "sse.slow", R"({"data":")" + blob + R"("})");
  REQUIRE(slow.closed_within(20s)); // reading now: what was written, then the end
  auto events = parse_events(slow.received());
  INFO(slow.received().size() << " bytes read");
  REQUIRE(!events.empty());
  CHECK(events.back().type == "close");
  CHECK(events.back().data.find("\"code\":4009") != std::string::npos);
  CHECK(only(events, "message").size() < static_cast<std::size_t>(total));
  // The channel and the daemon carry on: a new stream resumes.
  raw_conn again(d.port());
  open_stream(again, "/v1/channels/sse.slow/stream?token=" + token_for("slow"));
}

namespace {

// Runs `curl -sN <args> <url>` (bounded by --max-time), calls `publish` once the confirmation
// is out, and returns everything curl printed up to the third complete `curl.test` event.
std::string curl_stream(const std::string& args, const std::string& url,
                        const std::function<void()>& publish) {
  // The shell prints its pid and becomes curl: the test ends curl once it has read enough.
  const std::string cmd = "echo $$; exec curl -sN --max-time 8 " + args + " '" + url + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string all;
  char buf[4096];
  pid_t curl = 0;
  if (std::fgets(buf, sizeof buf, p))
    curl = static_cast<pid_t>(std::atol(buf));
  while (std::fgets(buf, sizeof buf, p)) {
    all += buf;
    if (std::string(buf) == "event: subscribed\n")
      break;
  }
  publish();
  int events = 0; // complete events: their data line read
  bool in_event = false;
  while (events < 3 && std::fgets(buf, sizeof buf, p)) {
    all += buf;
    std::string line(buf);
    if (line == "event: curl.test\n")
      in_event = true;
    else if (in_event && line.rfind("data: ", 0) == 0)
      in_event = false, ++events;
  }
  if (curl > 0)
    ::kill(curl, SIGTERM);
  ::pclose(p);
  return all;
}

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("SSE works with curl -N", "[integration][sse][curl]") {
  daemon_process d;
  http_client rest(d.port());
  auto all = curl_stream("",
                         "http://127.0.0.1:" + std::to_string(d.port())
                           + "/v1/channels/sse.curl/stream?token=" + token_for("curl"),
                         [&] {
                           for (int i = 1; i <= 3; ++i)
                             publish(rest, "sse.curl", publish_body(i, "curl.test"));
                         });
  INFO(all);
  CHECK(count_of(all, "event: curl.test\n") == 3);
  CHECK(all.find(R"("seq":3)") != std::string::npos);
}

TEST_CASE("SSE works over TLS with curl -N", "[integration][sse][curl][tls]") {
  test_certificate cert;
  daemon_process d({"--set", "tls.cert_file=" + cert.cert_file(), "--set",
                    "tls.key_file=" + cert.key_file()});
  tls_client_options opts;
  opts.ca_file = cert.cert_file();
  auto all = curl_stream("--cacert '" + cert.cert_file() + "'",
                         "https://127.0.0.1:" + std::to_string(d.port())
                           + "/v1/channels/sse.tls/stream?token=" + token_for("tls"),
                         [&] {
                           for (int i = 1; i <= 3; ++i) {
                             auto r = https_request(d.port(), opts, "POST",
                                                    "/v1/channels/sse.tls/events",
                                                    publish_body(i, "curl.test"), api_key_auth());
                             REQUIRE(r.status == 201);
                           }
                         });
  INFO(all);
  CHECK(count_of(all, "event: curl.test\n") == 3);
  CHECK(all.find(R"("seq":3)") != std::string::npos);
}
