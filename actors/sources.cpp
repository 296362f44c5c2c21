#include "actors/sources.hpp"

#include <chrono>

#include "actors/log_line.hpp"
#include "actors/source.hpp"
#include "metrics/source_gauges.hpp"
#include "schema/ownership.hpp"

namespace sy {

namespace {

struct sources_state {
  sources_args args;
  std::vector<source_actor> running; // by index in cfg->sources; null: not here
  std::vector<std::string> placed_on; // the node each source is placed on (cluster)

  static inline const char* name = "sources";
};

using sources_ptr = sources_actor::stateful_pointer<sources_state>;

void start(sources_ptr self, std::size_t i) {
  auto& st = self->state;
  if (st.running[i])
    return;
  source_args a;
  a.cfg = st.args.cfg->sources[i];
  a.index = i;
  a.directory = st.args.directory;
  a.node_id = st.args.node_id;
  st.running[i] = spawn_source(self->system(), std::move(a));
  self->link_to(st.running[i]); // a source that dies takes nobody down (exit trapped below)
}

void stop(sources_ptr self, std::size_t i) {
  auto& st = self->state;
  if (!st.running[i])
    return;
  self->unlink_from(st.running[i]);
  self->send_exit(st.running[i], caf::exit_reason::user_shutdown);
  st.running[i] = nullptr;
  metrics::source_row(i).state.store(static_cast<std::uint8_t>(metrics::source_state::elsewhere),
                                     std::memory_order_relaxed);
}

void place(sources_ptr self, const cluster_view& v) {
  auto& st = self->state;
  for (std::size_t i = 0; i < st.running.size(); ++i) {
    const auto& id = st.args.cfg->sources[i].id;
    auto rank = rank_nodes(v.node_ids, source_placement_key(id));
    auto owner = rank.empty() ? v.self : rank.front();
    auto owner_id = owner < v.node_ids.size() ? v.node_ids[owner] : st.args.node_id;
    if (owner_id != st.placed_on[i])
      log_record(spdlog::level::info, "source.placed", "source placed",
                 {{"source", id}, {"node", owner_id}, {"here", owner == v.self}});
    st.placed_on[i] = owner_id;
    if (owner == v.self)
      start(self, i);
    else
      stop(self, i);
  }
}

// Rows of the sources that do not run here: placed elsewhere (or shutting down).
source_row row_elsewhere(const sources_state& st, std::size_t i) {
  source_row r;
  r.id = st.args.cfg->sources[i].id;
  r.node = st.placed_on[i];
  r.state = "elsewhere";
  return r;
}

// Gathers the rows of one GET /v1/sources: one request per running source, answered within
// a second (a source waits on its socket for at most 50 ms between messages).
struct gather {
  std::vector<source_row> rows;
  source_rows_completion done;
  ~gather() {
    if (done)
      done->complete(rows);
  }
};

sources_actor::behavior_type sources_behavior(sources_ptr self, sources_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.running.resize(st.args.cfg->sources.size());
  st.placed_on.resize(st.running.size(), st.args.node_id);
  self->set_exit_handler([self](const caf::exit_msg& m) {
    auto& st = self->state;
    for (std::size_t i = 0; i < st.running.size(); ++i)
      if (st.running[i] && st.running[i].address() == m.source) {
        // A source actor ended on its own (it never should): start it again.
        st.running[i] = nullptr;
        log_record(spdlog::level::err, "source.error", "source actor ended, restarting",
                   {{"source", st.args.cfg->sources[i].id}});
        start(self, i);
        return;
      }
    if (m.source == self->address() || m.reason)
      self->quit(m.reason);
  });
  if (!st.args.clustered)
    for (std::size_t i = 0; i < st.running.size(); ++i)
      start(self, i);
  return {
    [=](view_atom, cluster_view& v) { place(self, v); },
    [=](srclist_atom, source_list_request& r) {
      auto& st = self->state;
      auto g = std::make_shared<gather>();
      g->rows.resize(st.running.size());
      g->done = std::move(r.done);
      for (std::size_t i = 0; i < st.running.size(); ++i) {
        if (!st.running[i]) {
          g->rows[i] = row_elsewhere(st, i);
          continue;
        }
        g->rows[i] = row_elsewhere(st, i);
        g->rows[i].state = "unknown"; // replaced by the source's answer
        self->request(st.running[i], std::chrono::seconds(1), srcstat_atom::value)
          .then([g, i](const source_row& row) { g->rows[i] = row; },
                [](const caf::error&) {});
      }
    },
  };
}

} // namespace

std::string source_placement_key(const std::string& id) {
  return "source:" + id;
}

sources_actor spawn_sources(caf::actor_system& sys, sources_args args) {
  return sys.spawn(sources_behavior, std::move(args));
}

} // namespace sy
