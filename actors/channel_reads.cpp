// History a channel reads for a page, a resume or a snapshot: from its hot tail (the ring) and,
// with a store, the part the tail no longer holds from the store (DURABILITY.md, "Reads").
#include "actors/channel_state.hpp"

#include <algorithm>
#include <limits>

namespace sy::channel_impl {

namespace {

struct read_plan {
  std::uint64_t after = 0;  // events with seq > after
  std::size_t limit = 0;    // at most this many in all
  std::uint64_t max_bytes = 0;
  std::vector<event_ptr> got; // from the store so far, oldest first
  std::uint64_t expired_through = 0; // the store's oldest events past the history TTL, skipped
  std::uint64_t got_bytes = 0;
  std::function<void(std::vector<event_ptr>)> done;
};

// The seq the ring starts at, or the next seq when it holds nothing.
std::uint64_t ring_first(const channel_state& st) {
  return st.history->size() > 0 ? st.history->first_seq() : st.next_seq;
}

std::uint64_t got_last(const read_plan& p) {
  return p.got.empty() ? std::max(p.after, p.expired_through) : p.got.back()->ev.seq;
}

// Ends the read in this turn: what came from the store, then the ring from where it stops.
void finish(channel_ptr self, read_plan& p) {
  auto& st = self->state;
  auto last = got_last(p);
  if (!p.got.empty() && last + 1 < ring_first(st)) {
    // The store stopped short of the ring (a byte bound, or it lost a race with a trim): the
    // caller gets a contiguous prefix; a page continues from it, a resume checks contiguity.
    return p.done(std::move(p.got));
  }
  auto rest = p.limit > p.got.size() ? st.history->read_after(last, p.limit - p.got.size())
                                     : std::vector<event_ptr>{};
  if (p.got.empty())
    return p.done(std::move(rest));
  p.got.insert(p.got.end(), rest.begin(), rest.end());
  p.done(std::move(p.got));
}

void fetch(channel_ptr self, std::shared_ptr<read_plan> p) {
  auto& st = self->state;
  auto last = got_last(*p);
  auto first = ring_first(st);
  if (p->got.size() >= p->limit || last + 1 >= first || p->got_bytes >= p->max_bytes)
    return finish(self, *p);
  store_read r;
  r.channel = st.args.name;
  r.after_seq = last;
  r.limit = static_cast<std::uint32_t>(
    std::min<std::uint64_t>({p->limit - p->got.size(), first - last - 1, UINT32_MAX}));
  r.max_bytes = p->max_bytes - p->got_bytes;
  st.reads_in_flight++;
  self->request(st.args.store, caf::infinite, st_read_atom::value, std::move(r))
    .then(
      [self, p](store_page& page) {
        auto& st = self->state;
        st.reads_in_flight--;
        auto expect = got_last(*p) + 1;
        bool progressed = false;
        auto cutoff = ttl_cutoff_ms(st, wall_clock_ms());
        for (auto& e : page.events) {
          if (e.seq != expect || e.epoch != st.args.epoch)
            break; // not the next one: stop here, the ring or the caller's check decides
          if (p->got.empty() && e.timestamp_ms < cutoff) { // expired (channel_ttl.cpp)
            p->expired_through = expect++;
            progressed = true;
            continue;
          }
          p->got_bytes += e.data_json.size() + e.metadata_json.size() + 64;
          p->got.push_back(std::make_shared<const encoded_event>(encode_event(std::move(e))));
          ++expect;
          progressed = true;
        }
        trim_store_through(self, p->expired_through);
        if (!progressed)
          return finish(self, *p);
        fetch(self, p);
      },
      [self, p](const caf::error&) {
        self->state.reads_in_flight--;
        finish(self, *p); // the ring alone: a resume sees the gap and reports recovered:false
      });
}

} // namespace

std::uint64_t oldest_kept(const channel_state& st) {
  if (!st.args.store)
    return ring_first(st);
  auto head = last_seq(st);
  auto keep = std::max<std::size_t>(st.ns.history_size, 1);
  std::uint64_t by_count = head >= keep ? head - keep + 1 : 1;
  return std::max(by_count, st.store_trimmed + 1);
}

void read_events(channel_ptr self, std::uint64_t after, std::size_t limit,
                 std::uint64_t max_bytes, std::function<void(std::vector<event_ptr>)> done) {
  auto& st = self->state;
  if (!st.args.store || after + 1 >= ring_first(st) || after >= last_seq(st))
    return done(st.history->read_after(after, limit));
  auto p = std::make_shared<read_plan>();
  p->after = after;
  p->limit = limit;
  p->max_bytes = max_bytes;
  p->done = std::move(done);
  fetch(self, std::move(p));
}

} // namespace sy::channel_impl
