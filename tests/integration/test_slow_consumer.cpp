// Backpressure: a subscriber that stops reading is cut with 4009 once its outbound queue passes
// realtime.outbound_queue_bytes, while a healthy subscriber on the same channel gets everything.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace sy::test;

TEST_CASE("a slow consumer is disconnected with 4009, others are unaffected", "[integration][slow]") {
  constexpr int total = 600;
  daemon_process d({"--set", "realtime.outbound_queue_bytes=65536"});
  http_client rest(d.port());

  ws_client watcher; // an admin: the subject of a record is in log.audit only
  auto admin_token = token_for("watcher", 3600, R"("admin":true)");
  REQUIRE(watcher.connect(d.port(), "/realtime?token=" + admin_token) == 101);
  subscribe(watcher, {"log.audit"});

  ws_connect_options tiny;
  tiny.rcvbuf_bytes = 4096; // the server's socket buffer fills quickly, then its queue grows
  auto slow = connect_fabric(d, "slow", tiny);
  subscribe(slow, {"bulk"});
  auto healthy = connect_fabric(d, "healthy");
  subscribe(healthy, {"bulk"});

  // The healthy client reads on its own thread for the whole run (results checked afterwards).
  std::vector<std::int64_t> healthy_seqs;
  std::vector<std::string> healthy_other;
  std::atomic<int> healthy_count{0}; // events the reader has taken (the publisher paces on it)
  std::thread reader([&] {
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (healthy_seqs.size() < static_cast<std::size_t>(total)
           && std::chrono::steady_clock::now() < deadline) {
      auto v = healthy.read_json(5s);
      if (!v.is_object())
        break;
      auto& o = v.as_object();
      if (field_s(o, "op") == "event") {
        healthy_seqs.push_back(field_i(o, "seq"));
        healthy_count.store(static_cast<int>(healthy_seqs.size()));
      }
      else
        healthy_other.push_back(to_text(o));
    }
  });
  struct join_guard {
    std::thread& t;
    ~join_guard() { if (t.joinable()) t.join(); }
  } guard{reader};

  const std::string blob(16 * 1024, 'b');
  int ok = 0;
  std::string first_failure;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int i = 1; i <= total && std::chrono::steady_clock::now() < deadline; ++i) {
    // The healthy client stays at most 4 events (64 KB, what socket buffers hold) behind, so a
    // reader thread the OS schedules late on a loaded machine is still "healthy"; the slow one
    // never reads and must pass its 64 KiB queue within the 600 events.
    while (healthy_count.load() < i - 5 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    auto res = rest.request("POST", "/v1/channels/bulk/events",
                            R"({"data":{"i":)" + std::to_string(i) + R"(,"blob":")" + blob + "\"}}",
                            api_key_auth());
    if (res.status != 201) {
      first_failure = std::to_string(res.status) + " " + res.body;
      break;
    }
    ++ok;
  }
  reader.join();
  INFO("publish failure: " << first_failure);
  CHECK(ok == total);

  INFO("healthy non-event frames: " << healthy_other.size()
                                    << (healthy_other.empty() ? "" : " first: " + healthy_other[0])
                                    << " closed: "
                                    << (healthy.closed() ? healthy.closed()->code : 0));
  CHECK(healthy_other.empty());
  REQUIRE(healthy_seqs.size() == static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i)
    if (healthy_seqs[i] != i + 1)
      FAIL_CHECK("healthy subscriber: position " << i << " has seq " << healthy_seqs[i]);

  // The slow client drains what was buffered and then finds the connection ended.
  std::size_t slow_frames = 0;
  auto cs = slow.wait_closed(15s, &slow_frames);
  REQUIRE(cs.has_value());
  INFO("slow client: " << slow_frames << " frames, close " << cs->code << " '" << cs->reason << "' "
                       << cs->error);
  CHECK((cs->code == 4009 || cs->code == 1006));
  if (cs->code == 4009)
    CHECK(cs->reason == "slow_consumer");
  CHECK(slow_frames < static_cast<std::size_t>(total));

  // log.audit reports it.
  bool saw_slow = false, saw_disconnect = false;
  std::string slow_session;
  auto log_deadline = std::chrono::steady_clock::now() + 5s;
  while (!(saw_slow && saw_disconnect) && std::chrono::steady_clock::now() < log_deadline) {
    auto v = watcher.read_json(2s);
    if (!v.is_object())
      break;
    auto& o = v.as_object();
    auto& data = field_o(o, "data");
    if (field_s(data, "sub") != "slow")
      continue;
    if (field_s(o, "type") == "session.slow_consumer") {
      INFO("slow_consumer entry: " << to_text(o));
      saw_slow = true;
      slow_session = field_s(data, "sessionId");
      CHECK(field_i(data, "limitBytes") == 65536);
      CHECK(field_s(field_o(o, "metadata"), "sub") == "slow");
    } else if (field_s(o, "type") == "session.disconnect") {
      INFO("disconnect entry: " << to_text(o));
      saw_disconnect = true;
      CHECK(field_i(data, "code") == 4009);
      CHECK(field_s(data, "sessionId") == slow_session);
    }
  }
  CHECK(saw_slow);
  CHECK(saw_disconnect);

  // And the operator's log has one line for it (README.md *Logs*).
  auto log = d.log();
  auto at = log.find("slow consumer: send queue full, closing session=" + slow_session + " ");
  INFO(log);
  REQUIRE(at != std::string::npos);
  auto line = log.substr(at, log.find('\n', at) - at);
  CHECK(line.find("user=slow") != std::string::npos);
  CHECK(line.find("limitBytes=65536") != std::string::npos);
  CHECK(line.find("code=4009") != std::string::npos);
}
