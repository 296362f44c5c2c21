#include "actors/cluster.hpp"

#include <algorithm>
#include <map>

#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>
#include <spdlog/spdlog.h>

#include "actors/completions.hpp"
#include "actors/log_line.hpp"
#include "schema/room_cluster.hpp"
#include "metrics/hooks.hpp"

namespace sy {

namespace {

struct member {
  member_info info;
  cluster_actor handle;  // null unless connected
  std::string state;     // "up", "connecting", "down"
  std::int64_t since_ms = 0;
  std::int64_t backoff_ms = 0;
  bool retry_pending = false;
};

struct cluster_state {
  cluster_args args;
  std::map<std::string, member> members; // by node id (the seeds' ids are learned on hello)
  // Seeds not reached yet (their node id is unknown until hello answers).
  std::vector<std::pair<std::string, std::uint16_t>> pending_seeds;
  std::chrono::milliseconds timeout{5000};

  static inline const char* name = "cluster";
};

using cluster_ptr = cluster_actor::stateful_pointer<cluster_state>;

std::int64_t now_ms() {
  return wall_clock_ms();
}

// The directory's view: self and every member that is up, sorted by node id so that every
// node ranks the same list.
void push_view(cluster_ptr self) {
  auto& st = self->state;
  std::vector<std::pair<std::string, cluster_actor>> live;
  live.emplace_back(st.args.self.node_id, caf::actor_cast<cluster_actor>(self));
  for (auto& [id, m] : st.members)
    if (m.state == "up" && m.handle)
      live.emplace_back(id, m.handle);
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  cluster_view v;
  v.replicas = st.args.cfg->cluster_replicas;
  for (std::size_t i = 0; i < live.size(); ++i) {
    if (live[i].first == st.args.self.node_id)
      v.self = i;
    v.node_ids.push_back(live[i].first);
    v.handles.push_back(std::move(live[i].second));
  }
  if (st.args.sources)
    self->send(st.args.sources, view_atom::value, v);
  self->send(st.args.directory, view_atom::value, std::move(v));
}

void set_state(cluster_ptr self, member& m, const char* state) {
  if (m.state == state)
    return;
  log_record(spdlog::level::info, "cluster.member", "cluster member " + std::string(state),
             {{"node", m.info.node_id},
              {"address", m.info.host + ":" + std::to_string(m.info.port)},
              {"from", m.state.empty() ? "new" : m.state},
              {"to", state}});
  metrics::member_state_changed(m.state.c_str(), state);
  m.state = state;
  m.since_ms = now_ms();
}

void connect_to(cluster_ptr self, const std::string& host, std::uint16_t port);

// A failed or lost member is tried again after a growing delay (0.25 s doubling to 5 s).
void schedule_retry(cluster_ptr self, member& m) {
  if (m.retry_pending)
    return;
  m.backoff_ms = m.backoff_ms == 0 ? 250 : std::min<std::int64_t>(m.backoff_ms * 2, 5000);
  m.retry_pending = true;
  self->delayed_send(self, std::chrono::milliseconds(m.backoff_ms), retry_atom::value,
                     m.info.node_id);
}

// Records what a member told us about itself and the others, and connects to the ones we did
// not know: the mesh closes from any seed.
void learn(cluster_ptr self, const std::vector<member_info>& infos) {
  auto& st = self->state;
  for (const auto& info : infos) {
    if (info.node_id == st.args.self.node_id || info.node_id.empty())
      continue;
    auto it = st.members.find(info.node_id);
    if (it == st.members.end()) {
      auto& m = st.members[info.node_id];
      m.info = info;
      set_state(self, m, "connecting");
      connect_to(self, info.host, info.port);
    } else if (it->second.state == "down" && !it->second.retry_pending) {
      it->second.info = info;
      connect_to(self, info.host, info.port);
    }
  }
}

void connect_to(cluster_ptr self, const std::string& host, std::uint16_t port) {
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, self->state.timeout, caf::connect_atom::value, host, port)
    .then(
      [self, host, port](const caf::node_id&, caf::strong_actor_ptr& ptr,
                         const std::set<std::string>&) {
        if (!ptr)
          return;
        // The one cast of a remote handle: the middleman's connect answers with the untyped
        // pointer of what the peer published, which is always its cluster actor. Every other
        // remote handle arrives typed (cluster_view, follow_request, fetch_request, ...).
        auto peer = caf::actor_cast<cluster_actor>(std::move(ptr));
        self->request(peer, self->state.timeout, hello_atom::value, self->state.args.self)
          .then(
            [self, peer, host, port](std::vector<member_info>& infos) {
              if (infos.empty())
                return;
              auto& st = self->state;
              const auto& who = infos.front();
              st.pending_seeds.erase(
                std::remove(st.pending_seeds.begin(), st.pending_seeds.end(),
                            std::make_pair(host, port)),
                st.pending_seeds.end());
              if (who.node_id == st.args.self.node_id)
                return; // a seed that is ourselves
              auto& m = st.members[who.node_id];
              m.info = who;
              bool was_up = m.state == "up" && m.handle == peer;
              m.handle = peer;
              m.backoff_ms = 0;
              if (!was_up) {
                self->monitor(peer);
                set_state(self, m, "up");
                push_view(self);
              }
              learn(self, infos);
            },
            [self, host, port](const caf::error& err) {
              spdlog::debug("cluster: hello to {}:{} failed: {}", host, port,
                            self->system().render(err));
            });
      },
      [self, host, port](const caf::error& err) {
        spdlog::debug("cluster: connect to {}:{} failed: {}", host, port,
                      self->system().render(err));
        // A seed or member that is not up yet: the tick tries again.
      });
}

wire_publish_result to_wire_result(const publish_result& r) {
  return {r.ev->ev, r.duplicate};
}

wire_history_page to_wire_page(const history_page& p) {
  wire_history_page w;
  w.events.reserve(p.events.size());
  for (const auto& ev : p.events)
    w.events.push_back(ev->ev);
  w.next_cursor = p.next_cursor;
  w.has_more = p.has_more;
  w.recovered = p.recovered;
  return w;
}

std::vector<member_info> known_members(cluster_ptr self) {
  auto& st = self->state;
  std::vector<member_info> out{st.args.self};
  for (auto& [id, m] : st.members)
    if (m.state == "up")
      out.push_back(m.info);
  return out;
}

} // namespace

cluster_actor::behavior_type cluster_behavior(cluster_ptr self, cluster_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.timeout = std::chrono::milliseconds(st.args.cfg->cluster_request_timeout_ms);
  st.pending_seeds = st.args.seeds;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [id, m] : st.members) {
      if (m.handle && m.handle.address() == dm.source) {
        m.handle = nullptr;
        set_state(self, m, "down");
        push_view(self);
        schedule_retry(self, m);
        return;
      }
    }
  });
  push_view(self); // alone until a seed answers
  self->send(self, tick_atom::value);
  return {
    [self](hello_atom, const member_info& caller) -> std::vector<member_info> {
      // Answer with what we know, and make sure we hold a handle on the caller too.
      auto out = known_members(self);
      learn(self, {caller});
      return out;
    },
    [self](members_atom) -> std::vector<member_status> {
      auto& st = self->state;
      std::vector<member_status> out;
      out.push_back({st.args.self, "self", 0});
      for (auto& [id, m] : st.members)
        out.push_back({m.info, m.state, m.since_ms});
      return out;
    },
    // Publishes and history reads forwarded by other nodes enter the directory's one form as
    // request_origin::peer; the channel answers the remote requester directly.
    [self](publish_atom, publish_cmd& cmd) -> caf::result<wire_publish_result> {
      auto rp = self->make_response_promise<wire_publish_result>();
      publish_request req;
      req.from = request_origin::peer;
      req.items.push_back(
        {std::move(cmd), std::make_shared<response_completion<publish_result, wire_publish_result>>(
                           self->ctrl(), rp, &to_wire_result)});
      self->send(self->state.args.directory, publish_atom::value, std::move(req));
      return rp;
    },
    [self](history_atom, history_query& q) -> caf::result<wire_history_page> {
      auto rp = self->make_response_promise<wire_history_page>();
      history_request req;
      req.query = std::move(q);
      req.from = request_origin::peer;
      req.done = std::make_shared<response_completion<history_page, wire_history_page>>(
        self->ctrl(), rp, &to_wire_page);
      self->send(self->state.args.directory, history_atom::value, std::move(req));
      return rp;
    },
    [self](follow_atom, const follow_request& req) {
      self->send(self->state.args.directory, follow_atom::value, req);
    },
    [self](fetch_atom, const fetch_request& req) -> caf::result<follow_sync> {
      auto rp = self->make_response_promise<follow_sync>();
      self->request(self->state.args.directory, self->state.timeout, fetch_atom::value, req)
        .then([rp](follow_sync& s) mutable { rp.deliver(std::move(s)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](replica_atom, const std::string& channel) {
      self->send(self->state.args.directory, replica_atom::value, channel);
    },
    [self](peer_pattern_atom, const remote_pattern& p) {
      self->send(self->state.args.directory, peer_pattern_atom::value, p);
    },
    [self](roomlink_atom, const wire_room_link& l) {
      self->send(self->state.args.directory, roomlink_atom::value, l);
    },
    [self](roomrep_atom, const wire_room_record& r) -> caf::result<std::uint64_t> {
      auto rp = self->make_response_promise<std::uint64_t>();
      self->request(self->state.args.directory, self->state.timeout, roomrep_atom::value, r)
        .then([rp](std::uint64_t v) mutable { rp.deliver(v); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](roomfetch_atom, const std::string& room) -> caf::result<wire_room_record> {
      auto rp = self->make_response_promise<wire_room_record>();
      self->request(self->state.args.directory, self->state.timeout, roomfetch_atom::value, room)
        .then([rp](wire_room_record& r) mutable { rp.deliver(std::move(r)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](retry_atom, const std::string& node_id) {
      auto it = self->state.members.find(node_id);
      if (it == self->state.members.end())
        return;
      it->second.retry_pending = false;
      if (it->second.state != "up")
        connect_to(self, it->second.info.host, it->second.info.port);
    },
    [self](tick_atom) {
      // Seeds that never answered are tried every tick; known members re-introduce us so
      // that members learned late converge to a full mesh.
      auto& st = self->state;
      for (const auto& [host, port] : st.pending_seeds)
        connect_to(self, host, port);
      for (auto& [id, m] : st.members) {
        if (m.state == "up" && m.handle) {
          self->request(m.handle, st.timeout, hello_atom::value, st.args.self)
            .then([self](std::vector<member_info>& infos) { learn(self, infos); },
                  [](const caf::error&) {});
        } else if (!m.retry_pending) {
          schedule_retry(self, m);
        }
      }
      self->delayed_send(self, std::chrono::milliseconds(1000), tick_atom::value);
    },
  };
}

cluster_actor spawn_cluster(caf::actor_system& sys, cluster_args args) {
  return sys.spawn(cluster_behavior, std::move(args));
}

} // namespace sy
