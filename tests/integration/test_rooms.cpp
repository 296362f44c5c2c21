// Rooms over real sockets (PROTOCOL.md "Rooms"): join snapshot and presence, state patches with
// optimistic versions, leave on close, and a late joiner that must miss no patch.
#include "fixture.hpp"
#include "rooms_support.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

using namespace sy::test;

TEST_CASE("two clients join a room and see each other, patch with a conflict and leave on close",
          "[integration][rooms]") {
  daemon_process d;
  auto a = connect_member(d, "alice");
  auto b = connect_member(d, "bob");

  auto ja = join(a, "doc", R"(,"info":{"name":"Alice"})");
  CHECK(member_ids(ja.at("members")) == std::vector<std::string>{field_s(ja, "member")});
  CHECK(field_i(ja, "version") == 0);
  auto jb = join(b, "doc", R"(,"info":{"name":"Bob"})");
  CHECK(member_ids(jb.at("members"))
        == std::vector<std::string>{field_s(ja, "member"), field_s(jb, "member")});
  const auto& bob_entry = jb.at("members").as_array()[1].as_object();
  CHECK(field_s(bob_entry, "user") == "bob");
  CHECK(to_text(bob_entry.at("info")) == R"({"name":"Bob"})");
  CHECK(is_rfc3339_ms(field_s(bob_entry, "joinedAt")));

  auto pa = next_object(a);
  INFO("presence: " << to_text(pa));
  CHECK(keys_of(pa) == keys({"op", "room", "joins", "leaves", "updates"}));
  CHECK(member_ids(pa.at("joins")) == std::vector<std::string>{field_s(jb, "member")});
  expect_silence(b, 200ms); // bob's snapshot already showed everything

  // Optimistic versions: alice's patch wins, bob's on the same version is refused.
  REQUIRE(a.send_text(R"({"op":"state","room":"doc","patch":{"title":"T","n":1},"version":0})"));
  auto sa = next_object(a);
  auto sb = next_object(b);
  CHECK(to_text(sa) == R"({"op":"state","room":"doc","patch":{"title":"T","n":1},"version":1,"member":")"
                         + field_s(ja, "member") + "\"}");
  CHECK(to_text(sb) == to_text(sa));
  REQUIRE(b.send_text(R"({"op":"state","room":"doc","patch":{"title":"B"},"version":0})"));
  CHECK(to_text(next_object(b)) == R"({"op":"error","code":"version_conflict","room":"doc","version":1})");
  expect_silence(a, 200ms);

  // Info updates reach the others as a presence update.
  REQUIRE(b.send_text(R"({"op":"presence","room":"doc","info":{"name":"Bob","typing":true}})"));
  auto upd = next_object(a);
  CHECK(to_text(upd.at("updates")) == R"([{"member":")" + field_s(jb, "member")
                                         + R"(","info":{"name":"Bob","typing":true}}])");

  // Closing the connection leaves at once.
  b.close();
  auto gone = next_object(a);
  CHECK(to_text(gone.at("leaves")) == "[\"" + field_s(jb, "member") + "\"]");
}

TEST_CASE("room leave answers left and needs a join, state needs the publish right",
          "[integration][rooms]") {
  daemon_process d;
  auto a = connect_member(d, "alice", false);
  REQUIRE(a.send_text(R"({"op":"leave","room":"doc"})"));
  auto nj = next_object(a);
  CHECK(field_s(nj, "code") == "not_joined");
  CHECK(field_s(nj, "room") == "doc");
  join(a, "doc");
  REQUIRE(a.send_text(R"({"op":"state","room":"doc","patch":{"a":1},"version":0})"));
  auto denied = next_object(a);
  CHECK(field_s(denied, "code") == "scope_denied");
  REQUIRE(a.send_text(R"({"op":"leave","room":"doc"})"));
  CHECK(to_text(next_object(a)) == R"({"op":"left","room":"doc"})");
  REQUIRE(a.send_text(R"({"op":"presence","room":"doc","info":{}})"));
  CHECK(field_s(next_object(a), "code") == "not_joined");
}

TEST_CASE("a late joiner gets the state at version N and then every later patch",
          "[integration][rooms]") {
  // The writer patches as fast as its broadcasts come back: above the default 200 frames/s.
  daemon_process d({}, {{"SWITCHYARD_MAX_FRAMES_PER_S", "100000"}});
  auto w = connect_member(d, "writer");
  join(w, "live");
  constexpr int total = 300;
  std::atomic<int> applied{0};
  std::atomic<bool> writer_ok{true};
  std::thread writer([&] {
    for (int i = 0; i < total && writer_ok; ++i) {
      if (!w.send_text(R"({"op":"state","room":"live","patch":{"n":)" + std::to_string(i)
                       + R"(,"k)" + std::to_string(i % 7) + R"(":)" + std::to_string(i)
                       + R"(},"version":)" + std::to_string(i) + "}")) {
        writer_ok = false;
        break;
      }
      // Its own broadcast tells it the patch landed (presence frames may come in between).
      bool seen = false;
      for (int k = 0; k < 20 && !seen && writer_ok; ++k) {
        auto v = w.read_json(3s);
        if (!v.is_object()) {
          writer_ok = false;
          break;
        }
        const auto& o = v.as_object();
        if (o.contains("op") && o.at("op") == "state")
          seen = o.at("version").as_int64() == i + 1;
        else if (o.contains("op") && o.at("op") == "error")
          writer_ok = false;
      }
      writer_ok = writer_ok && seen;
      applied = i + 1;
    }
  });
  // A failed REQUIRE below unwinds through here: stop the writer and wait for it.
  struct stop_writer {
    std::thread& t;
    std::atomic<bool>& ok;
    ~stop_writer() {
      if (t.joinable()) {
        ok = false;
        t.join();
      }
    }
  } guard{writer, writer_ok};
  for (int i = 0; i < 500 && applied < 50; ++i)
    std::this_thread::sleep_for(2ms);
  auto late = connect_member(d, "late", false);
  auto j = join(late, "live");
  auto version = field_i(j, "version");
  INFO("joined at version " << version);
  CHECK(version >= 1);
  auto state = j.at("state").as_object();
  if (version > 0)
    CHECK(state.at("n").as_int64() == version - 1);
  int missed = 0;
  while (version < total && writer_ok) {
    auto o = next_op(late, "state");
    if (field_i(o, "version") != version + 1)
      ++missed;
    version = field_i(o, "version");
    for (const auto& kv : o.at("patch").as_object())
      state[kv.key()] = kv.value();
  }
  writer.join();
  REQUIRE(writer_ok);
  CHECK(missed == 0);
  CHECK(state.at("n").as_int64() == total - 1);
  CHECK(state.at("k" + std::to_string((total - 1) % 7)).as_int64() == total - 1);
}

TEST_CASE("room REST reads the room, sets metadata and patches state for its members",
          "[integration][rooms]") {
  daemon_process d;
  http_client rest(d.port());
  auto a = connect_member(d, "alice");
  auto ja = join(a, "board", R"(,"info":{"c":"red"})");

  auto put = rest.request("PUT", "/v1/rooms/board/metadata", R"({"title":"Q4","owner":"ops"})",
                          api_key_auth());
  INFO("PUT: " << put.body);
  CHECK(put.status == 200);
  CHECK(put.body == R"({"room":"board","metadata":{"title":"Q4","owner":"ops"}})");
  CHECK(to_text(next_object(a)) == R"({"op":"metadata","room":"board","metadata":{"title":"Q4","owner":"ops"}})");

  auto patch = rest.request("PATCH", "/v1/rooms/board/state", R"({"patch":{"cols":3},"version":0})",
                            api_key_auth());
  INFO("PATCH: " << patch.body);
  CHECK(patch.status == 200);
  CHECK(patch.body == R"({"room":"board","version":1})");
  CHECK(to_text(next_object(a)) == R"({"op":"state","room":"board","patch":{"cols":3},"version":1,"member":null})");
  auto stale = rest.request("PATCH", "/v1/rooms/board/state", R"({"patch":{"cols":4},"version":0})",
                            api_key_auth());
  CHECK(stale.status == 409);
  CHECK(error_code_of(stale.body) == "version_conflict");
  CHECK(field_i(parse_json(stale.body).as_object(), "version") == 1);
  expect_silence(a, 200ms);

  auto get = rest.request("GET", "/v1/rooms/board", "", api_key_auth());
  INFO("GET: " << get.body);
  REQUIRE(get.status == 200);
  auto room = parse_json(get.body).as_object();
  CHECK(keys_of(room) == keys({"room", "members", "metadata", "state", "version"}));
  CHECK(member_ids(room.at("members")) == std::vector<std::string>{field_s(ja, "member")});
  CHECK(to_text(room.at("metadata")) == R"({"title":"Q4","owner":"ops"})");
  CHECK(to_text(room.at("state")) == R"({"cols":3})");
  CHECK(field_i(room, "version") == 1);

  // POST /v1/rooms/{R}/events is a publish to room.R: members get it as an event.
  auto ev = rest.request("POST", "/v1/rooms/board/events", R"({"type":"note","data":{"t":"hi"}})",
                         api_key_auth());
  CHECK(ev.status == 201);
  auto got = next_event(a);
  CHECK(field_s(got, "topic") == "room.board");
  CHECK(to_text(got.at("data")) == R"({"t":"hi"})");

  // Credentials and rights: none -> 401; a subscriber token may read but not write.
  CHECK(rest.request("PUT", "/v1/rooms/board/metadata", "{}").status == 401);
  header_list reader{{"Authorization", "Bearer " + token_for("reader")}};
  CHECK(rest.request("GET", "/v1/rooms/board", "", reader).status == 200);
  CHECK(rest.request("PATCH", "/v1/rooms/board/state", R"({"patch":{},"version":1})", reader).status
        == 403);
  CHECK(error_code_of(rest.request("PATCH", "/v1/rooms/board/state", R"({"patch":1,"version":1})",
                                   api_key_auth()).body)
        == "bad_request");
  CHECK(rest.request("GET", "/v1/rooms/board/state", "", api_key_auth()).status == 405);
  CHECK(rest.request("GET", "/v1/rooms/a*b", "", api_key_auth()).status == 400);
}

TEST_CASE("member publish is stored in room.R and volatile publish only reaches the others",
          "[integration][rooms]") {
  daemon_process d;
  http_client rest(d.port());
  auto a = connect_member(d, "alice");
  auto b = connect_member(d, "bob");
  auto ja = join(a, "chat");
  join(b, "chat");
  next_op(a, "presence");

  REQUIRE(a.send_text(R"({"op":"publish","room":"chat","type":"msg","data":{"text":"hi"}})"));
  for (auto* c : {&a, &b}) {
    auto ev = next_event(*c);
    INFO("event: " << to_text(ev));
    CHECK(field_s(ev, "topic") == "room.chat");
    CHECK(field_i(ev, "seq") == 1);
    CHECK(field_s(ev, "type") == "msg");
    CHECK(to_text(ev.at("data")) == R"({"text":"hi"})");
    CHECK(to_text(ev.at("metadata")) == R"({"member":")" + field_s(ja, "member") + R"(","user":"alice"})");
  }

  REQUIRE(a.send_text(R"({"op":"publish","room":"chat","type":"cursor","data":{"x":5},"volatile":true})"));
  auto vol = next_object(b);
  INFO("volatile: " << to_text(vol));
  CHECK(keys_of(vol) == keys({"op", "topic", "channel", "timestamp", "type", "data", "metadata", "volatile"}));
  CHECK(field_s(vol, "type") == "cursor");
  CHECK(field_b(vol, "volatile") == true);
  expect_silence(a, 200ms); // not echoed to the sender

  // Only the stored one is in the room's history.
  auto page = rest.request("GET", "/v1/rooms/chat/events", "", api_key_auth());
  REQUIRE(page.status == 200);
  CHECK(parse_json(page.body).as_object().at("events").as_array().size() == 1);

  // Publishing needs the publish right on room.chat.
  auto r = connect_member(d, "reader", false);
  join(r, "chat");
  REQUIRE(r.send_text(R"({"op":"publish","room":"chat","data":1})"));
  auto denied = next_op(r, "error");
  CHECK(field_s(denied, "code") == "scope_denied");
  CHECK(field_s(denied, "room") == "chat");
}

TEST_CASE("a member whose connection goes silent leaves when the idle timeout closes it",
          "[integration][rooms]") {
  daemon_process d({}, {{"SWITCHYARD_IDLE_TIMEOUT_MS", "600"}, {"SWITCHYARD_HEARTBEAT_MS", "200"}});
  auto a = connect_member(d, "alice");
  auto b = connect_member(d, "bob");
  join(a, "quiet");
  auto jb = join(b, "quiet");
  // alice keeps pinging; bob sends nothing and reads nothing.
  bool left = false;
  // Well before the idle timeout plus realtime.close_timeout_ms (5 s) that a silent peer
  // also lets pass: the member leaves when the timeout fires, not when the close ends.
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!left && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(a.send_text(R"({"op":"ping"})"));
    for (;;) {
      auto v = a.read_json(150ms);
      if (!v.is_object())
        break;
      const auto& o = v.as_object();
      if (field_s(o, "op") == "presence" && !o.at("leaves").as_array().empty()) {
        CHECK(to_text(o.at("leaves")) == "[\"" + field_s(jb, "member") + "\"]");
        left = true;
        break;
      }
    }
  }
  CHECK(left);
  auto closed = b.wait_closed(2s);
  REQUIRE(closed);
  CHECK(closed->code == 4002);
}

TEST_CASE("a join storm reaches every member as a few batched presence frames",
          "[integration][rooms]") {
  daemon_process d;
  constexpr int n = 100;
  std::vector<ws_client> clients;
  std::vector<std::set<std::string>> views(n);
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    clients.push_back(connect_member(d, "u" + std::to_string(i), false));
    auto j = join(clients.back(), "storm");
    for (const auto& id : member_ids(j.at("members")))
      views[i].insert(id);
  }
  auto join_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started).count();
  // Every member converges to the same n-member list; count the frames it took.
  std::size_t frames = 0;
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k < n && views[i].size() < static_cast<std::size_t>(n); ++k) {
      auto o = next_object(clients[i]);
      REQUIRE(field_s(o, "op") == "presence");
      ++frames;
      for (const auto& id : member_ids(o.at("joins")))
        CHECK(views[i].insert(id).second); // never announced twice
    }
    CHECK(views[i].size() == static_cast<std::size_t>(n));
  }
  INFO("joins took " << join_ms << " ms; presence frames " << frames << " for " << n
                     << " joins (naive per-join fan-out: " << n * (n - 1) / 2 << ")");
  WARN("room join storm: " << n << " joins in " << join_ms << " ms, " << frames
                           << " presence frames in all, " << static_cast<double>(frames) / n
                           << " per join (naive: " << (n - 1) / 2.0 << ")");
  CHECK(frames < static_cast<std::size_t>(n * (n - 1) / 2 / 4));
  expect_silence(clients.front(), 200ms);
}

TEST_CASE("joined rooms count against the topic limit of subscriptions", "[integration][rooms]") {
  daemon_process d({}, {{"REALTIME_TOPIC_LIMIT", "2"}});
  auto c = connect_member(d, "alice", false);
  join(c, "one");
  subscribe(c, {"a"});
  REQUIRE(c.send_text(R"({"op":"subscribe","topics":["b"]})"));
  auto refused = next_object(c);
  CHECK(field_s(refused, "code") == "quota_exceeded");
  REQUIRE(c.send_text(R"({"op":"join","room":"two"})"));
  auto room_refused = next_object(c);
  CHECK(field_s(room_refused, "code") == "quota_exceeded");
  CHECK(field_s(room_refused, "room") == "two");
}
