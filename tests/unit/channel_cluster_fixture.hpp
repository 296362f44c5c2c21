#pragma once
// A channel's cluster roles driven on CAF's deterministic test scheduler: every message runs
// on the test's thread when it calls run(), and stand-ins for the other actors (the owner
// node's cluster actor, a relay on another node, the directory, a session) record what the
// channel sends them.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/scheduler/test_coordinator.hpp>

#include "actors/channel.hpp"
#include "schema/admin.hpp"
#include "schema/room_cluster.hpp"

namespace sy::test_cluster {

using namespace sy;
using namespace std::chrono_literals;

/// Everything the stand-ins saw, in arrival order.
struct record {
  std::vector<follow_request> follows; // at a stand-in cluster actor
  std::vector<fetch_request> fetches;
  std::vector<publish_cmd> forwarded;  // publishes a relay passed on to the owner node
  std::vector<follow_sync> syncs;      // at a stand-in relay
  std::vector<std::vector<event>> bursts;
  std::vector<caf::typed_response_promise<std::uint64_t>> held; // bursts not acked yet
  std::vector<std::string> stored;     // at the stand-in directory
  std::vector<sub_ack> acks;           // at the stand-in session
  std::vector<std::uint64_t> delivered;
  std::vector<publish_result> completed; // publishes completed by the channel
  std::vector<history_page> pages;
  std::vector<errc> failed;
  std::vector<std::uint64_t> heads; // a relay's answers to bursts
};
using record_ptr = std::shared_ptr<record>;

inline event make_event(std::uint64_t epoch, std::uint64_t seq, std::string channel = "orders") {
  event e;
  e.channel = std::move(channel);
  e.epoch = epoch;
  e.seq = seq;
  e.timestamp_ms = 1700000000000 + static_cast<std::int64_t>(seq);
  e.type = "message";
  e.data_json = std::to_string(seq);
  e.metadata_json = "{}";
  return e;
}

inline follow_sync make_sync(std::string channel, std::uint64_t epoch, std::uint64_t first,
                             std::uint64_t head) {
  follow_sync s;
  s.channel = channel;
  s.epoch = epoch;
  s.head = head;
  for (auto seq = first; seq <= head && seq > 0; ++seq)
    s.events.push_back(make_event(epoch, seq, channel));
  return s;
}

/// Another node's cluster actor: records follows and fetches, answers a fetch with `state`
/// and a forwarded publish with seq 42 in epoch 7.
inline cluster_actor::behavior_type fake_node(cluster_actor::pointer self, record_ptr rec,
                                              follow_sync state) {
  return {
    [](hello_atom, const member_info&) { return std::vector<member_info>{}; },
    [](members_atom) { return std::vector<member_status>{}; },
    [rec](publish_atom, const publish_cmd& cmd) {
      rec->forwarded.push_back(cmd);
      wire_publish_result r;
      r.ev = make_event(7, 42, cmd.channel);
      return r;
    },
    [](history_atom, const history_query&) { return wire_history_page{}; },
    [rec](follow_atom, const follow_request& req) { rec->follows.push_back(req); },
    [rec, state](fetch_atom, const fetch_request& req) {
      rec->fetches.push_back(req);
      return state;
    },
    [](replica_atom, const std::string&) {},
    [](peer_pattern_atom, const remote_pattern&) {},
    [](roomlink_atom, const wire_room_link&) {},
    [](roomrep_atom, const wire_room_record& r) { return r.version; },
    [](roomfetch_atom, const std::string& room) { return wire_room_record{room}; },
    [](retry_atom, const std::string&) {},
    [](tick_atom) {},
  };
}

/// A relay on another node: records the owner's sync and bursts; holds each burst's ack until
/// it gets (retry): then it answers every held burst with its last seq.
inline channel_actor::behavior_type fake_relay(channel_actor::pointer self, record_ptr rec) {
  return {
    [](publish_atom, const publish_items&) {},
    [](history_atom, const history_request&) {},
    [](subscribe_atom, const sub_request&) {},
    [](unsubscribe_atom, const caf::actor_addr&, std::uint32_t) {},
    [](flush_atom) {},
    [](drain_atom) -> std::size_t { return 0; },
    [](attach_atom, const pattern_actor&) {},
    [](peer_pattern_atom, const pattern_actor&) {},
    [](tick_atom) {},
    [](unused_atom) {},
    [](retire_atom) {},
    [](follow_atom, const follow_request&) {},
    [rec](sync_atom, const follow_sync& s) { rec->syncs.push_back(s); },
    [self, rec](replicate_atom, const std::vector<event>& burst) {
      rec->bursts.push_back(burst);
      auto rp = self->make_response_promise<std::uint64_t>();
      rec->held.push_back(rp);
      return rp;
    },
    [](fetch_atom, const fetch_request&) { return follow_sync{}; },
    [](owner_atom, const cluster_actor&) {},
    [](promote_atom) {},
    [rec](retry_atom, std::uint64_t) {
      for (auto& rp : rec->held)
        rp.deliver(rec->bursts.back().back().seq);
      rec->held.clear();
    },
    [](replica_atom) {},
    [](chanstat_atom) {
      return caf::result<std::uint64_t, std::uint64_t, std::uint64_t, std::uint64_t>(0, 0, 0, 0);
    },
    [](watchers_atom) -> std::size_t { return 0; },
  };
}

inline directory_actor::behavior_type fake_directory(directory_actor::pointer, record_ptr rec) {
  return {
    [](publish_atom, const publish_request&) {},
    [](history_atom, const history_request&) {},
    [](subscribe_atom, const sub_request&) {},
    [](idle_atom, const std::string&, std::uint64_t) {},
    [rec](stored_atom, const std::string& name) { rec->stored.push_back(name); },
    [](view_atom, const cluster_view&) {},
    [](follow_atom, const follow_request&) {},
    [](fetch_atom, const fetch_request&) { return follow_sync{}; },
    [](replica_atom, const std::string&) {},
    [](peer_pattern_atom, const remote_pattern&) {},
    [](drain_atom) -> std::size_t { return 0; },
    [](watchers_atom, const std::string&) -> std::size_t { return 0; },
    [](join_atom, const room_join&) {},
    [](patch_atom, const room_patch&) {},
    [](metadata_atom, const room_metadata&) {},
    [](roomread_atom, const room_read&) {},
    [](roomidle_atom, const std::string&, std::uint64_t) {},
    [](roomlink_atom, const wire_room_link&) {},
    [](chanlist_atom, const channel_list_request&) {},
    [](roomrep_atom, const wire_room_record& r) { return r.version; },
    [](roomfetch_atom, const std::string& room) { return wire_room_record{room}; },
  };
}

inline session_actor::behavior_type fake_session(session_actor::pointer, record_ptr rec) {
  return {
    [rec](deliver_atom, std::uint32_t, const event_batch& batch, std::uint32_t offset) {
      for (std::size_t i = offset; i < batch->size(); ++i)
        rec->delivered.push_back((*batch)[i]->ev.seq);
    },
    [rec](suback_atom, const sub_ack& ack) { rec->acks.push_back(ack); },
    [](command_atom, const client_command&) {},
    [](closed_atom, std::uint16_t, const std::string&) {},
    [](tick_atom) {},
    [](expire_atom, std::uint64_t) {},
    [](joined_atom, const room_join_ack&) {},
    [](roomframe_atom, const std::string&, const frame_ptr&) {},
    [](authwait_atom) {},
    [](shutdown_atom) {},
    [](connstat_atom, const conn_stat_sink&, std::uint32_t) {},
    [](kick_atom, const kick_ticket&) {},
  };
}

template <class Result>
class recorded final : public completion<Result> {
public:
  explicit recorded(record_ptr rec) : rec_(std::move(rec)) {
  }
  void complete(const Result& r) override {
    if constexpr (std::is_same_v<Result, publish_result>)
      rec_->completed.push_back(r);
    else
      rec_->pages.push_back(r);
  }
  void fail(errc code, std::string) override {
    rec_->failed.push_back(code);
  }

private:
  record_ptr rec_;
};

struct fixture {
  caf::actor_system_config caf_cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<config> cfg = std::make_shared<config>();
  record_ptr rec = std::make_shared<record>();
  directory_actor dir;
  std::vector<caf::actor> spawned; // every actor the test made, taken down at the end

  fixture() {
    caf_cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(caf_cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    cfg->batch_window_us = 0; // every flush at once: no timer between a publish and its fan-out
    dir = keep(sys->spawn(fake_directory, rec));
  }

  ~fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched->run();
  }

  template <class Handle>
  Handle keep(Handle h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  void run() {
    sched->run();
  }

  channel_args args(std::string name, std::uint64_t epoch) {
    channel_args a;
    a.name = std::move(name);
    a.epoch = epoch;
    a.directory = dir;
    a.cfg = cfg;
    return a;
  }

  channel_actor channel(channel_args a) {
    return keep(spawn_channel(*sys, std::move(a)));
  }

  cluster_actor node(follow_sync state = {}) {
    return keep(sys->spawn(fake_node, rec, std::move(state)));
  }

  channel_actor relay_stand_in() {
    return keep(sys->spawn(fake_relay, rec));
  }

  void subscribe(const channel_actor& ch, std::uint32_t id) {
    auto s = keep(sys->spawn(fake_session, rec));
    sub_request req;
    req.topic = "orders";
    req.session = s;
    req.sub_id = id;
    caf::anon_send(ch, subscribe_atom::value, std::move(req));
  }

  void publish(const channel_actor& ch, std::string data) {
    publish_cmd cmd;
    cmd.channel = "orders";
    cmd.data_json = std::move(data);
    publish_items items;
    items.push_back({std::move(cmd), std::make_shared<recorded<publish_result>>(rec)});
    caf::anon_send(ch, publish_atom::value, std::move(items));
  }

  void read_history(const channel_actor& ch) {
    history_request req;
    req.query.channel = "orders";
    req.done = std::make_shared<recorded<history_page>>(rec);
    caf::anon_send(ch, history_atom::value, std::move(req));
  }

  /// The owner's burst as a request; the relay's answer (its head) lands in rec->heads.
  void burst(const channel_actor& relay, std::vector<event> events) {
    auto r = rec;
    keep(sys->spawn([r, relay, events](caf::event_based_actor* self) -> caf::behavior {
      self->request(relay, 1s, replicate_atom::value, events).then([r, self](std::uint64_t h) {
        r->heads.push_back(h);
        self->quit();
      });
      return {[](tick_atom) {}};
    }));
  }
};

inline std::vector<std::uint64_t> seqs(const std::vector<event>& v) {
  std::vector<std::uint64_t> out;
  for (const auto& e : v)
    out.push_back(e.seq);
  return out;
}

inline std::vector<std::uint64_t> seqs(const std::vector<event_ptr>& v) {
  std::vector<std::uint64_t> out;
  for (const auto& e : v)
    out.push_back(e->ev.seq);
  return out;
}

} // namespace sy::test_cluster
