#include "actors/history_store_actor.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "metrics/hooks.hpp"

namespace sy {

namespace {

struct store_state {
  std::shared_ptr<rocksdb_store> db;
  history_store_hooks hooks;
  struct staged_write {
    caf::typed_response_promise<store_written> rp;
    std::string channel;         // appends with a generation only (else empty)
    std::uint64_t generation = 0;
  };
  // The writes staged in db, in order: each is answered when its batch is written.
  std::vector<staged_write> waiting;
  // Channels whose append of this generation failed: their later appends of the same
  // generation were sequenced after it and are refused, so no stored history has a gap.
  std::unordered_map<std::string, std::uint64_t> failed_generation;
  bool flush_sent = false;
  store_stats stats;
  static inline const char* name = "history_store";
};

using store_ptr = store_actor::stateful_pointer<store_state>;

/// Writes what is staged as one batch and answers every write in it.
void write_batch(store_ptr self) {
  auto& st = self->state;
  if (st.waiting.empty())
    return;
  if (st.hooks.before_batch)
    st.hooks.before_batch();
  auto started = std::chrono::steady_clock::now();
  auto status = st.db->commit();
  auto n = static_cast<std::uint32_t>(st.waiting.size());
  metrics::store_batch_written(
    static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count()),
    n, static_cast<bool>(status));
  auto& s = st.stats;
  ++s.batches;
  s.writes += n;
  s.max_batch_writes = std::max(s.max_batch_writes, n);
  if (!status)
    ++s.failed_batches;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& w : waiting) {
    if (status) {
      w.rp.deliver(store_written{s.batches, n});
      continue;
    }
    if (w.generation != 0)
      st.failed_generation[w.channel] = w.generation;
    w.rp.deliver(make_store_error(status));
  }
}

/// Queues a staged write's answer; the first write of a batch sends the flush that ends it.
caf::typed_response_promise<store_written> staged(store_ptr self, std::string channel = {},
                                                  std::uint64_t generation = 0) {
  auto rp = self->make_response_promise<store_written>();
  self->state.waiting.push_back({rp, std::move(channel), generation});
  if (!self->state.flush_sent) {
    self->state.flush_sent = true;
    self->send(self, st_flush_atom::value);
  }
  return rp;
}

store_actor::behavior_type history_store(store_ptr self, std::shared_ptr<rocksdb_store> db,
                                         history_store_hooks hooks) {
  self->state.db = std::move(db);
  self->state.hooks = std::move(hooks);
  // Asked to leave with writes staged (shutdown): write them first, so each gets its answer.
  self->set_exit_handler([self](const caf::exit_msg& m) {
    write_batch(self);
    const auto& s = self->state.stats;
    if (s.batches > 0) // how well group commit joined writes, for the operator's log
      spdlog::info("store: {} writes in {} batches ({:.1f} per batch, at most {}), {} failed",
                   s.writes, s.batches, static_cast<double>(s.writes) / s.batches,
                   s.max_batch_writes, s.failed_batches);
    self->quit(m.reason);
  });
  return {
    [=](st_append_atom, const store_append& a) -> caf::result<store_written> {
      auto& st = self->state;
      if (a.generation != 0) {
        if (auto it = st.failed_generation.find(a.channel); it != st.failed_generation.end()) {
          if (a.generation <= it->second)
            return make_store_error(store_status::fail(
              store_errc::insufficient_storage, "an earlier write of the channel failed"));
          st.failed_generation.erase(it); // the channel has seen the failure and moved on
        }
      }
      store_channel_meta meta{a.epoch, a.next_seq};
      st.db->stage_append(a.channel, meta, a.events, a.receipts);
      if (a.generation == 0)
        return staged(self);
      return staged(self, a.channel, a.generation);
    },
    [=](st_trim_atom, const store_trim& t) {
      self->state.db->stage_trim(t.channel, t.through_seq);
      return staged(self);
    },
    [=](st_drop_atom, const store_drop& d) {
      self->state.db->stage_drop(d.channel);
      return staged(self);
    },
    [=](st_room_atom, const store_room_write& w) {
      self->state.db->stage_room(w.room, w.record);
      return staged(self);
    },
    [=](st_roomld_atom, const store_room_load& l) -> caf::result<store_room> {
      write_batch(self);
      auto r = self->state.db->load_room(l.room);
      if (!r)
        return make_store_error(r.error());
      return std::move(*r);
    },
    [=](st_flush_atom) {
      self->state.flush_sent = false;
      write_batch(self);
    },
    [=](st_read_atom, const store_read& r) -> caf::result<store_page> {
      write_batch(self);
      auto page = self->state.db->read(r.channel, r.after_seq, r.limit, r.max_bytes);
      if (!page)
        return make_store_error(page.error());
      return std::move(*page);
    },
    [=](st_load_atom, const store_load& l) -> caf::result<store_channel_state> {
      write_batch(self);
      auto st = self->state.db->load(l.channel, l.now_ms);
      if (!st)
        return make_store_error(st.error());
      return std::move(*st);
    },
    [=](st_ckpt_atom, const store_checkpoint& c) -> caf::result<store_checkpointed> {
      write_batch(self);
      if (auto s = self->state.db->checkpoint(c.dir); !s)
        return make_store_error(s);
      return store_checkpointed{c.dir};
    },
    [=](st_stats_atom) {
      return self->state.stats;
    },
  };
}

} // namespace

store_actor spawn_history_store(caf::actor_system& sys, std::shared_ptr<rocksdb_store> db,
                                history_store_hooks hooks) {
  return sys.spawn<caf::detached>(history_store, std::move(db), std::move(hooks));
}

} // namespace sy
