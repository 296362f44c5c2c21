// The copies of a room's record (CLUSTER.md "Rooms"): the owner room of R replicates its record
// -- version, state, metadata and the member id floor -- as a burst of events is replicated.
// Every relay gets the change (rstate) and every replica node of room.R gets the whole record
// (roomrep, stored there before it answers); the change takes effect on the owner -- its frames,
// the REST answer, the next patch's check, the ids it gives -- only once each has answered or
// timed out. So the next owner, the first replica in the ranking, starts from the last
// acknowledged version even when no member was on another node, and never gives an id again.
#include "actors/room_state.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace sy::room_impl {

namespace {

// Member ids are reserved this many at a time: a join storm pays one store write and one
// replica round trip per block, not per join, and a new owner skips at most one block.
constexpr std::uint64_t id_block = 1024;

// Ids need reserving when something outlives the room's memory: the store, or another node
// that may own the room next.
bool reserves_ids(const room_state& st) {
  return st.store || !st.node.empty();
}

bool id_available(const room_state& st) {
  return is_relay(st) || !reserves_ids(st) || st.next_member < st.id_floor;
}

void start_reserving(room_ptr self);

// Runs the joins that waited for ids, in arrival order, until a block runs out again.
void run_id_waiting(room_ptr self) {
  auto& st = self->state;
  while (!st.id_waiting.empty() && !st.reserving) {
    if (!id_available(st))
      return start_reserving(self);
    auto w = std::move(st.id_waiting.front());
    st.id_waiting.pop_front();
    w.run(); // a relay by now runs it as a relay's join
  }
  check_idle(self);
}

void refuse_id_waiting(room_ptr self, errc e, const std::string& msg) {
  auto& st = self->state;
  st.reserving = false;
  auto waiting = std::move(st.id_waiting);
  st.id_waiting.clear();
  for (auto& w : waiting)
    w.refuse(e, msg);
  check_idle(self);
}

// The next block: stored here, then replicated like a patch (it waits behind the write in
// flight and patches wait behind it).
void reserve(room_ptr self) {
  auto& st = self->state;
  if (id_available(st)) { // the room became a relay, or an earlier block covers it
    st.reserving = false;
    return run_id_waiting(self);
  }
  auto floor = st.next_member + id_block;
  wire_room_change c;
  c.what = wire_room_change::ids;
  c.n = floor;
  auto record = record_of(st, st.version, st.state_text, st.metadata_text, floor);
  auto done = [self, floor] {
    auto& st = self->state;
    st.id_floor = std::max(st.id_floor, floor);
    st.reserving = false;
    run_id_waiting(self);
  };
  if (!st.store)
    return replicate(self, c, record, done);
  persist(
    self, stored_form(record),
    [self, c, floor, done] {
      auto& st = self->state;
      replicate(self, c, record_of(st, st.version, st.state_text, st.metadata_text, floor), done);
    },
    [self](const std::string&) {
      refuse_id_waiting(self, errc::insufficient_storage, "the room's member ids could not be stored");
    });
}

// A block changes no version or state, so it need not wait behind queued patches -- only
// behind the load or the write in flight -- and work that arrived after the join waiting for it
// (a read, say) runs after that join.
void start_reserving(room_ptr self) {
  auto& st = self->state;
  st.reserving = true;
  if (!st.loading && !st.writing && !st.load_failed)
    return reserve(self);
  when_ready(self, true,
             {[self] { reserve(self); },
              [self](errc e, const std::string& msg) { refuse_id_waiting(self, e, msg); }});
}

} // namespace

wire_room_record record_of(const room_state& st, std::uint64_t version, std::string state_text,
                           std::string metadata_text, std::uint64_t id_floor) {
  return wire_room_record{st.room, version, std::move(state_text), std::move(metadata_text),
                          id_floor};
}

store_room stored_form(const wire_room_record& r) {
  return store_room{true, r.version, r.state_text, r.metadata_text, r.id_floor};
}

void replicate(room_ptr self, const wire_room_change& c, const wire_room_record& record,
               std::function<void()> done) {
  auto& st = self->state;
  auto copies = st.relays.size() + st.replica_nodes.size();
  if (copies == 0)
    return done();
  // A copy that does not answer in time is passed over (availability over durability, as for
  // replicas of events): its node is dead or about to leave the view.
  st.writing = true;
  auto left = std::make_shared<std::size_t>(copies);
  auto tick = [self, left, done] {
    if (--*left > 0)
      return;
    self->state.writing = false;
    done();
    run_waiting(self);
  };
  for (const auto& [node, relay] : st.relays)
    self->request(relay, peer_timeout(st), rstate_atom::value, c)
      .then([tick](std::uint64_t) { tick(); }, [tick](const caf::error&) { tick(); });
  for (const auto& node : st.replica_nodes)
    self->request(node, peer_timeout(st), roomrep_atom::value, record)
      .then([tick](std::uint64_t) { tick(); },
            [self, tick](const caf::error& e) {
              spdlog::warn("room {}: a replica node did not keep its record: {}",
                           self->state.room, self->system().render(e));
              tick();
            });
}

void send_record(room_ptr self) {
  auto& st = self->state;
  auto record = record_of(st, st.version, st.state_text, st.metadata_text, st.id_floor);
  for (const auto& node : st.replica_nodes)
    self->request(node, peer_timeout(st), roomrep_atom::value, record)
      .then([](std::uint64_t) {}, [](const caf::error&) {});
}

void with_member_id(room_ptr self, room_state::waiting_work w) {
  auto& st = self->state;
  if (st.id_waiting.empty() && !st.reserving && id_available(st))
    return w.run();
  st.id_waiting.push_back(std::move(w));
  if (!st.reserving)
    start_reserving(self);
}

void fetch_kept(room_ptr self, std::function<void()> done) {
  auto& st = self->state;
  if (st.replica_nodes.empty())
    return done();
  // Served after it, as after a load: no member sees the older version and then a jump.
  st.loading = true;
  auto before = std::make_pair(st.version, st.id_floor);
  auto left = std::make_shared<std::size_t>(st.replica_nodes.size());
  auto tick = [self, left, before, done] {
    if (--*left > 0)
      return;
    auto& st = self->state;
    if (is_relay(st)) // the owner moved meanwhile: the relay waits for its snapshot
      return done();
    st.loading = false;
    if (std::make_pair(st.version, st.id_floor) != before)
      store_owned(self); // what it took is its own now, on its disk too
    done();
  };
  for (const auto& node : st.replica_nodes)
    self->request(node, peer_timeout(st), roomfetch_atom::value, st.room)
      .then(
        [self, tick](const wire_room_record& r) {
          if (r.version > 0 || r.id_floor > 0)
            take_record(self, stored_form(r));
          tick();
        },
        [tick](const caf::error&) { tick(); }); // a node that does not answer has nothing newer
}

void take_record(room_ptr self, const store_room& r) {
  auto& st = self->state;
  if (!r.found)
    return;
  // A relay's mirror is the owner's room up to the last change it answered: a record is taken
  // over it only when more advanced; a room that mirrored nothing takes the record as it is.
  if (r.version > st.version || !st.synced)
    adopt_record(self, r.version, r.state_json, r.metadata_json);
  st.id_floor = std::max(st.id_floor, r.id_floor);
  st.next_member = std::max(st.next_member, r.id_floor);
}

} // namespace sy::room_impl
