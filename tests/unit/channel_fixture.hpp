#pragma once
// Drives the directory and channel actors directly: a probe actor stands in for a session and
// forwards what it receives to the test's scoped actor. Shared by the channel unit tests.
#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "actors/completions.hpp"
#include "actors/directory.hpp"
#include "schema/room.hpp"

namespace sy::test_channel {

using namespace sy;
using namespace std::chrono_literals;

using probe_ptr = session_actor::pointer;

// Completes a publish or history read by sending the result (or the error) to the test's
// scoped actor, which receives it like a response.
template <class Result>
class to_sink final : public completion<Result> {
public:
  explicit to_sink(caf::actor sink) : sink_(std::move(sink)) {
  }
  void complete(const Result& r) override {
    caf::anon_send(sink_, r);
  }
  void fail(errc code, std::string detail) override {
    caf::anon_send(sink_, make_error(code, std::move(detail)));
  }

private:
  caf::actor sink_;
};

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
    [](shutdown_atom) {},
    [](connstat_atom, const conn_stat_sink&, std::uint32_t) {},
    [](kick_atom, const kick_ticket&) {},
    [](closed_atom, std::uint16_t, const std::string&) {},
    [](tick_atom) {},
    [](expire_atom, std::uint64_t) {},
    [](joined_atom, const room_join_ack&) {},
    [](roomframe_atom, const std::string&, const frame_ptr&) {},
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

  /// The directory's answer to one publish: its result or its error.
  caf::expected<publish_result> try_publish(publish_cmd cmd) {
    publish_request req;
    req.items.push_back({std::move(cmd), std::make_shared<to_sink<publish_result>>(self)});
    caf::anon_send(dir, publish_atom::value, std::move(req));
    caf::expected<publish_result> out = caf::sec::request_timeout;
    self->receive([&](const publish_result& r) { out = r; },
                  [&](const caf::error& e) { out = e; }, caf::after(2s) >> [] {});
    return out;
  }

  /// A publish nobody waits for (fire-and-forget, like a session's log records).
  void publish_unanswered(publish_cmd cmd) {
    std::array<publish_cmd, 1> one{std::move(cmd)};
    caf::anon_send(dir, publish_atom::value, unanswered(one));
  }

  /// The directory's answer to one history read.
  caf::expected<history_page> try_history(history_query q) {
    history_request req{std::move(q), std::make_shared<to_sink<history_page>>(self),
                        request_origin::client};
    caf::anon_send(dir, history_atom::value, std::move(req));
    caf::expected<history_page> out = caf::sec::request_timeout;
    self->receive([&](const history_page& p) { out = p; },
                  [&](const caf::error& e) { out = e; }, caf::after(2s) >> [] {});
    return out;
  }

  publish_result publish(const std::string& ch, std::string data, std::string key = {},
                         metadata_index md = {}) {
    publish_cmd cmd;
    cmd.channel = ch;
    cmd.data_json = std::move(data);
    cmd.idempotency_key = std::move(key);
    cmd.metadata = std::move(md);
    auto out = try_publish(std::move(cmd));
    if (!out)
      FAIL("publish failed: " << to_string(out.error()));
    return *out;
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
