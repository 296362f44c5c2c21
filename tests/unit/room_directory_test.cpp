// Rooms through the directory (actors/directory_rooms.cpp): spawned on first use, retired when
// they hold nothing, kept while they hold state, and counted against quota.max_channels.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/directory.hpp"
#include "schema/room.hpp"

using namespace sy;
using namespace std::chrono_literals;

namespace {

session_actor::behavior_type ack_probe(session_actor::pointer, caf::actor sink) {
  return {
    [](deliver_atom, std::uint32_t, const event_batch&, std::uint32_t) {},
    [](suback_atom, const sub_ack&) {},
    [](command_atom, const client_command&) {},
    [](closed_atom, std::uint16_t, const std::string&) {},
    [](tick_atom) {},
    [](expire_atom, std::uint64_t) {},
    [](authwait_atom) {},
    [](shutdown_atom) {},
    [](connstat_atom, const conn_stat_sink&, std::uint32_t) {},
    [](kick_atom, const kick_ticket&) {},
    [=](joined_atom, const room_join_ack& ack) { caf::anon_send(sink, ack); },
    [](roomframe_atom, const std::string&, const frame_ptr&) {},
  };
}

class result_sink final : public completion<room_result> {
public:
  explicit result_sink(caf::actor sink) : sink_(std::move(sink)) {
  }
  void complete(const room_result& r) override {
    caf::anon_send(sink_, r);
  }
  void fail(errc code, std::string) override {
    caf::anon_send(sink_, room_result{code, {}, {}, 0});
  }

private:
  caf::actor sink_;
};

struct fixture {
  caf::actor_system_config cfg_caf;
  caf::actor_system sys{cfg_caf};
  std::shared_ptr<config> cfg = std::make_shared<config>();
  caf::scoped_actor self{sys};
  directory_actor dir;
  session_actor probe;

  ~fixture() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
  }
  void start() {
    cfg->rooms_presence_window_ms = 0;
    dir = spawn_directory(sys, cfg);
    probe = sys.spawn(ack_probe, caf::actor{self});
  }
  room_join_ack join(const std::string& room) {
    caf::anon_send(dir, join_atom::value, room_join{room, probe, "u", "{}"});
    room_join_ack out;
    self->receive([&](const room_join_ack& a) { out = a; },
                  caf::after(2s) >> [] { FAIL("no join ack"); });
    return out;
  }
  room_result patch(const std::string& room, std::string patch_json, std::uint64_t version) {
    room_patch p{room, {}, std::move(patch_json), version,
                 std::make_shared<result_sink>(caf::actor{self}), {}};
    caf::anon_send(dir, patch_atom::value, std::move(p));
    room_result out;
    self->receive([&](const room_result& r) { out = r; },
                  caf::after(2s) >> [] { FAIL("no patch result"); });
    return out;
  }
};

} // namespace

TEST_CASE("a room that holds nothing retires and one with state stays", "[unit][room]") {
  fixture f;
  f.start();
  auto first = f.join("empty");
  REQUIRE_FALSE(first.error);
  caf::anon_send(first.handle, leave_atom::value, f.probe.address());
  // The retired room is gone: the next join is answered by a new room actor.
  caf::actor_addr second;
  for (int i = 0; i < 100; ++i) {
    auto again = f.join("empty");
    REQUIRE_FALSE(again.error);
    second = again.handle.address();
    caf::anon_send(again.handle, leave_atom::value, f.probe.address());
    if (second != first.handle.address())
      break;
    std::this_thread::sleep_for(5ms);
  }
  CHECK(second != first.handle.address());

  auto kept = f.join("kept");
  REQUIRE(f.patch("kept", R"({"a":1})", 0).version == 1);
  caf::anon_send(kept.handle, leave_atom::value, f.probe.address());
  std::this_thread::sleep_for(50ms);
  auto back = f.join("kept");
  CHECK(back.handle.address() == kept.handle.address());
  CHECK(back.joined->find("\"version\":1") != std::string::npos);
}

TEST_CASE("rooms count against quota.max_channels", "[unit][room]") {
  fixture f;
  f.cfg->max_channels = 1;
  f.start();
  auto a = f.join("a");
  REQUIRE_FALSE(a.error);
  auto b = f.join("b");
  REQUIRE(b.error);
  CHECK(*b.error == errc::quota_exceeded);
  CHECK(f.patch("c", "{}", 0).error == errc::quota_exceeded);
}
