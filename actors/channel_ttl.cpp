// History TTL (a namespace's history_ttl_s, else history.ttl_s): events older than the TTL by
// their timestamp leave the channel's hot tail before every read and append, and the store
// deletes them with the same range delete as history.size's trims (DURABILITY.md *TTL*).
#include "actors/channel_state.hpp"

namespace sy::channel_impl {

std::int64_t ttl_cutoff_ms(const channel_state& st, std::int64_t now_ms) {
  if (st.ns.history_ttl_s <= 0)
    return 0; // no time limit: timestamps are never before 1970
  return now_ms - st.ns.history_ttl_s * 1000;
}

void trim_store_through(channel_ptr self, std::uint64_t seq) {
  auto& st = self->state;
  if (!st.args.store || seq <= st.store_trimmed)
    return;
  st.store_trimmed = seq;
  self->request(st.args.store, caf::infinite, st_trim_atom::value, store_trim{st.args.name, seq})
    .then([](const store_written&) {}, [](const caf::error&) {}); // the next trim covers it
}

void expire_history(channel_ptr self) {
  auto& st = self->state;
  auto cutoff = ttl_cutoff_ms(st, wall_clock_ms());
  if (cutoff <= 0)
    return;
  // The hot tail holds the channel's newest events, so everything the store holds before
  // the last expired one is older still: expired too.
  if (auto last = st.history->expire_before(cutoff); last > 0)
    trim_store_through(self, last);
}

} // namespace sy::channel_impl
