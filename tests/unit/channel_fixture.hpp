#pragma once
// Drives the directory and channel actors directly: a probe actor stands in for a session and
// forwards what it receives to the test's scoped actor. Shared by the channel unit tests.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "actors/directory.hpp"

namespace sy::test_channel {

using namespace sy;
using namespace std::chrono_literals;

using probe_ptr = session_actor::pointer;

inline session_actor::behavior_type probe(probe_ptr self, caf::actor sink) {
  return {
    // one message per event for the test, in batch order
    [=](deliver_atom, std::uint32_t id, const event_batch& batch, std::uint32_t offset) {
      for (std::size_t i = offset; i < batch->size(); ++i)
        caf::anon_send(sink, deliver_atom::value, id, (*batch)[i]);
    },
    [=](suback_atom, const sub_ack& ack) { caf::anon_send(sink, suback_atom::value, ack); },
    [](command_atom, const client_command&) {},
    [](authwait_atom) {},
    [](closed_atom, std::uint16_t, const std::string&) {},
    [](tick_atom) {},
    [](expire_atom, std::uint64_t) {},
  };
}

struct fixture {
  caf::actor_system_config cfg_caf;
  caf::actor_system sys{cfg_caf};
  std::shared_ptr<config> cfg = std::make_shared<config>();
  directory_actor dir;
  caf::scoped_actor self{sys};

  fixture() {
    cfg->namespaces = {{"snap.", 10, 2, "", ""}, {"tiny.", 3, 0, "", ""}};
  }
  ~fixture() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
  }
  void start() {
    dir = spawn_directory(sys, cfg);
  }

  publish_result publish(const std::string& ch, std::string data, std::string key = {},
                         metadata_index md = {}) {
    publish_cmd cmd;
    cmd.channel = ch;
    cmd.data_json = std::move(data);
    cmd.idempotency_key = std::move(key);
    cmd.metadata = std::move(md);
    publish_result out;
    self->request(dir, 2s, publish_atom::value, std::move(cmd))
      .receive([&](const publish_result& r) { out = r; },
               [&](const caf::error& e) { FAIL("publish failed: " << to_string(e)); });
    return out;
  }

  session_actor subscribe(const std::string& topic, std::uint32_t id, scope_filter scopes = {},
                          std::optional<cursor> since = std::nullopt) {
    auto p = sys.spawn(probe, caf::actor{self});
    sub_request req;
    req.topic = topic;
    req.session = p;
    req.sub_id = id;
    if (!scopes.empty()) {
      event_filter f;
      f.scopes = std::move(scopes);
      req.filter = std::make_shared<const event_filter>(std::move(f));
    }
    if (since) {
      req.has_since = true;
      req.since = *since;
    }
    caf::anon_send(dir, subscribe_atom::value, std::move(req));
    return p;
  }

  sub_ack expect_ack() {
    sub_ack out;
    self->receive([&](suback_atom, const sub_ack& a) { out = a; },
                  caf::after(2s) >> [] { FAIL("no subscribe ack"); });
    return out;
  }

  std::pair<std::uint32_t, event_ptr> expect_delivery() {
    std::pair<std::uint32_t, event_ptr> out;
    self->receive([&](deliver_atom, std::uint32_t id, const event_ptr& ev) { out = {id, ev}; },
                  caf::after(2s) >> [] { FAIL("no delivery"); });
    return out;
  }

  void expect_nothing() {
    bool got = false;
    self->receive([&](deliver_atom, std::uint32_t, const event_ptr&) { got = true; },
                  caf::after(200ms) >> [] {});
    CHECK_FALSE(got);
  }
};

inline std::vector<std::uint64_t> seqs(const std::vector<event_ptr>& v) {
  std::vector<std::uint64_t> out;
  for (auto& e : v)
    out.push_back(e->ev.seq);
  return out;
}


} // namespace sy::test_channel
