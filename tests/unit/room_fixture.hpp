#pragma once
// The room actor's test fixture: probe sessions stand in for connections and forward what the
// room sends them to the test, tagged with the probe's name.
#include <catch2/catch.hpp>

#include <deque>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/room.hpp"

namespace sy::test_room {

using namespace std::chrono_literals;
namespace json = boost::json;

using probe_ptr = session_actor::pointer;

inline session_actor::behavior_type probe(probe_ptr, caf::actor sink, std::string tag) {
  return {
    [=](deliver_atom, std::uint32_t, const event_batch&, std::uint32_t) {},
    [](suback_atom, const sub_ack&) {},
    [](command_atom, const client_command&) {},
    [](closed_atom, std::uint16_t, const std::string&) {},
    [](tick_atom) {},
    [](expire_atom, std::uint64_t) {},
    [](authwait_atom) {},
    [](shutdown_atom) {},
    [](connstat_atom, const conn_stat_sink&, std::uint32_t) {},
    [](kick_atom, const kick_ticket&) {},
    [=](joined_atom, const room_join_ack& ack) {
      std::string text = ack.error ? "error:" + std::string(wire_code(*ack.error)) : *ack.joined;
      caf::anon_send(sink, tag, text);
    },
    [=](roomframe_atom, const std::string&, const frame_ptr& f) { caf::anon_send(sink, tag, *f); },
  };
}

struct room_fixture {
  caf::actor_system_config cfg_caf;
  caf::actor_system sys{cfg_caf};
  std::shared_ptr<config> cfg = std::make_shared<config>();
  caf::scoped_actor self{sys};
  room_actor room;
  std::map<std::string, session_actor> probes;

  ~room_fixture() {
    caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
    for (auto& [t, p] : probes)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
  }
  void start(store_actor store = {}) {
    room = spawn_room(sys, "r", cfg, {}, std::move(store));
  }
  session_actor& probe_for(const std::string& tag) {
    auto& p = probes[tag];
    if (!p)
      p = sys.spawn(probe, caf::actor{self}, tag);
    return p;
  }
  void join(const std::string& tag, std::string info = "{}") {
    room_join j{"r", probe_for(tag), "user-" + tag, std::move(info)};
    caf::anon_send(room, join_atom::value, std::move(j));
  }
  // Frames of different probes reach the test in any order: each probe's own stay in order.
  std::map<std::string, std::deque<std::string>> stash;

  /// The next frame for `tag`; frames for other probes are kept for their turn.
  std::string next_text(const std::string& tag) {
    auto& q = stash[tag];
    for (int i = 0; q.empty() && i < 50; ++i)
      self->receive([&](const std::string& who, const std::string& text) {
        stash[who].push_back(text);
      }, caf::after(2s) >> [&] { i = 50; });
    if (q.empty())
      FAIL("no frame for " << tag);
    auto out = q.front();
    q.pop_front();
    return out;
  }
  json::object next(const std::string& tag) {
    auto text = next_text(tag);
    INFO("frame " << text);
    return json::parse(text).as_object();
  }
  void expect_silence(std::chrono::milliseconds quiet = 200ms) {
    for (auto& [who, q] : stash)
      for (auto& text : q)
        FAIL("unexpected frame for " << who << ": " << text);
    self->receive(
      [&](const std::string& who, const std::string& text) {
        FAIL("unexpected frame for " << who << ": " << text);
      },
      caf::after(quiet) >> [] {});
  }
};

inline std::vector<std::string> ids(const json::value& members) {
  std::vector<std::string> out;
  for (const auto& m : members.as_array())
    out.emplace_back(m.is_string() ? m.as_string() : m.as_object().at("member").as_string());
  return out;
}


// A REST request's completion that forwards its answer to the test as a frame of tag "rest":
// the JSON body, or "error:<code>" / "fail:<code>".
class rest_probe final : public completion<room_result> {
public:
  explicit rest_probe(caf::actor sink) : sink_(std::move(sink)) {
  }
  void complete(const room_result& r) override {
    caf::anon_send(sink_, std::string("rest"),
                   r.error ? "error:" + std::string(wire_code(*r.error)) : r.json);
  }
  void fail(errc code, std::string) override {
    caf::anon_send(sink_, std::string("rest"), "fail:" + std::string(wire_code(code)));
  }

private:
  caf::actor sink_;
};

} // namespace sy::test_room
