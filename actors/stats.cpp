#include "actors/stats.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "actors/completions.hpp"
#include "actors/stats_sample.hpp"
#include "metrics/counters.hpp"
#include "schema/audit_channels.hpp"
#include "schema/cluster.hpp"

namespace sy {

namespace {

struct stats_state {
  stats_args args;
  stats_sample last;        // at the previous tick: the rates' base
  std::int64_t last_ms = 0; // steady clock of `last`
  bool asking = false;      // a round is still waiting for the directory or the cluster

  static inline const char* name = "stats";
};

using stats_ptr = stats_actor::stateful_pointer<stats_state>;

void publish(stats_ptr self, std::string data_json) {
  publish_cmd cmd;
  cmd.channel = std::string(console_stats_channel);
  cmd.type = "stats";
  cmd.data_json = std::move(data_json);
  std::vector<publish_cmd> cmds;
  cmds.push_back(std::move(cmd));
  self->send(self->state.args.directory, publish_atom::value, unanswered(cmds));
  self->state.asking = false;
}

// The members as GET /v1/cluster shows them ("self" is an up member flagged self).
std::vector<stats_member> to_members(const std::vector<member_status>& ms) {
  std::vector<stats_member> out;
  for (const auto& m : ms)
    out.push_back({m.info.node_id, m.state == "self" ? "up" : m.state, m.state == "self"});
  return out;
}

// One round: a sample now, then (if someone listens) the members, then the event. The rates
// cover the time since the previous tick whether or not that one was published, so the first
// event after a quiet spell is still a rate over one interval.
void on_tick(stats_ptr self) {
  auto& st = self->state;
  auto now = read_stats_sample(metrics::snapshot());
  auto now_ms = steady_clock_ms();
  auto before = st.last;
  double seconds = static_cast<double>(now_ms - st.last_ms) / 1000.0;
  st.last = now;
  st.last_ms = now_ms;
  if (st.asking) // the previous round is still waiting: skip this one rather than queue up
    return;
  st.asking = true;
  auto timeout = std::chrono::milliseconds(st.args.cfg->admin_stats_interval_ms);
  self->request(st.args.directory, timeout, watchers_atom::value,
                std::string(console_stats_channel))
    .then(
      [self, now, before, seconds](std::size_t watchers) {
        auto& st = self->state;
        if (watchers == 0) {
          st.asking = false;
          return;
        }
        if (!st.args.cluster)
          return publish(self, stats_data_json(now, before, seconds, {}));
        auto ct = std::chrono::milliseconds(st.args.cfg->cluster_request_timeout_ms);
        self->request(st.args.cluster, ct, members_atom::value)
          .then(
            [self, now, before, seconds](const std::vector<member_status>& ms) {
              publish(self, stats_data_json(now, before, seconds, to_members(ms)));
            },
            // The numbers of this node are still worth showing without the member list.
            [self, now, before, seconds](const caf::error&) {
              publish(self, stats_data_json(now, before, seconds, {}));
            });
      },
      [self](const caf::error&) { self->state.asking = false; });
}

stats_actor::behavior_type stats_behavior(stats_ptr self, stats_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.last = read_stats_sample(metrics::snapshot());
  st.last_ms = steady_clock_ms();
  auto interval = std::chrono::milliseconds(st.args.cfg->admin_stats_interval_ms);
  self->delayed_send(self, interval, tick_atom::value);
  return {
    [self, interval](tick_atom) {
      self->delayed_send(self, interval, tick_atom::value);
      on_tick(self);
    },
  };
}

} // namespace

stats_actor spawn_stats(caf::actor_system& sys, stats_args args) {
  return sys.spawn(stats_behavior, std::move(args));
}

} // namespace sy
