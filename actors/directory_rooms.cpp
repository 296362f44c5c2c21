// Rooms by name: the directory spawns a room actor on its first use and forwards joins and the
// REST calls to it. Rooms count against quota.max_channels (a count of their own, next to the
// channels holding events). A room with no member offers to retire when retiring loses
// nothing: with storage.engine = rocksdb always (its version, state and metadata are stored, and
// the next use loads them); in memory only when it holds version 0 and metadata {} -- one with
// state or metadata lives until shutdown. In a cluster the room of R is owned where the channel
// room.R is (its rank), and is a relay of that one elsewhere (CLUSTER.md "Rooms"); the nodes in
// room.R's replica positions keep the owner's room record (keep_room_record).
#include "actors/directory_state.hpp"

#include "actors/room.hpp"
#include "schema/ownership.hpp"
#include "schema/room_cluster.hpp"

namespace sy::directory_impl {

namespace {

// The nodes in the replica positions of room.R (the same as the channel's), this one excluded.
std::vector<cluster_actor> replica_nodes(const directory_state& st, const std::string& room) {
  std::vector<cluster_actor> out;
  if (!clustered(st))
    return out;
  auto rank = rank_nodes(st.view.node_ids, room_channel(room));
  for (std::size_t i = 1; i <= st.view.replicas && i < rank.size(); ++i)
    if (rank[i] != st.view.self)
      out.push_back(st.view.handles[rank[i]]);
  return out;
}

store_room kept_record(const directory_state& st, const std::string& room) {
  auto it = st.room_records.find(room);
  return it == st.room_records.end() ? store_room{} : it->second;
}

} // namespace

room_actor* room_for(directory_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.rooms.find(name);
  if (it == st.rooms.end()) {
    if (st.rooms.size() >= st.cfg->max_channels)
      return nullptr;
    // In a cluster the room's owner is the owner node of its channel room.R (same ranking);
    // elsewhere the room is a relay of the owner's.
    room_cluster_args cl;
    if (clustered(st))
      cl.node = st.view.node_ids[st.view.self];
    cl.owner_node = owner_of(st, room_channel(name));
    cl.replicas = replica_nodes(st, name);
    cl.record = kept_record(st, name);
    auto owner = cl.owner_node;
    auto replicas = cl.replicas;
    auto room = spawn_room(self->home_system(), name, st.cfg, self, st.store, std::move(cl));
    it = st.rooms
           .emplace(name, directory_state::room_entry{std::move(room), 0, owner, replicas})
           .first;
  }
  it->second.forwarded++;
  return &it->second.room;
}

void retire_room(directory_ptr self, const std::string& name, std::uint64_t handled) {
  auto& st = self->state;
  auto it = st.rooms.find(name);
  // Another incarnation, or a message on its way: the room stays (it asks again when it is
  // empty after handling that message).
  if (it == st.rooms.end()
      || it->second.room.address() != caf::actor_cast<caf::actor_addr>(self->current_sender())
      || it->second.forwarded != handled)
    return;
  self->send(it->second.room, retire_atom::value);
  st.rooms.erase(it);
}

void route_join(directory_ptr self, const room_join& j) {
  if (auto* r = room_for(self, j.room))
    return self->send(*r, join_atom::value, j);
  room_join_ack ack;
  ack.room = j.room;
  ack.error = errc::quota_exceeded;
  ack.error_message = "this node has quota.max_channels rooms";
  self->send(j.session, joined_atom::value, std::move(ack));
}

namespace {

template <class Request>
bool refuse_unplaced(directory_ptr self, const Request& req) {
  if (room_for(self, req.room))
    return false;
  if (req.done)
    req.done->fail(errc::quota_exceeded, "this node has quota.max_channels rooms");
  return true;
}

} // namespace

void route_patch(directory_ptr self, const room_patch& p) {
  if (!refuse_unplaced(self, p))
    self->send(self->state.rooms.at(p.room).room, patch_atom::value, p);
}

void route_metadata(directory_ptr self, const room_metadata& md) {
  if (!refuse_unplaced(self, md))
    self->send(self->state.rooms.at(md.room).room, metadata_atom::value, md);
}

void route_room_read(directory_ptr self, const room_read& r) {
  if (!refuse_unplaced(self, r))
    self->send(self->state.rooms.at(r.room).room, roomread_atom::value, r);
}

void route_room_link(directory_ptr self, const wire_room_link& l) {
  if (!valid_room_name(l.room) || !l.relay)
    return;
  if (auto* r = room_for(self, l.room))
    self->send(*r, roomlink_atom::value, l);
}

void rooms_view(directory_ptr self) {
  auto& st = self->state;
  for (auto& [name, e] : st.rooms) {
    auto owner = owner_of(st, room_channel(name));
    auto replicas = replica_nodes(st, name);
    // The replica nodes first: a room that owns R from the next message replicates to them.
    if (owner != e.owner || replicas != e.replicas) {
      e.replicas = replicas;
      self->send(e.room, roomreps_atom::value, std::move(replicas), kept_record(st, name));
    }
    if (owner == e.owner)
      continue;
    e.owner = owner;
    self->send(e.room, roomowner_atom::value, owner, st.view.node_ids);
  }
}

// The owner waits for this answer before its change takes effect: with a store it comes once
// the record is on this node's disk (a room of R spawned here later loads it), without one once
// it is kept in memory. A room of R live here as a relay mirrors the same change by itself.
caf::result<std::uint64_t> keep_room_record(directory_ptr self, const wire_room_record& r) {
  auto& st = self->state;
  if (!valid_room_name(r.room))
    return make_error(errc::bad_request, "not a room name");
  if (st.store) {
    auto rp = self->make_response_promise<std::uint64_t>();
    self->request(st.store, caf::infinite, st_room_atom::value,
                  store_room_write{r.room, store_room{true, r.version, r.state_text,
                                                     r.metadata_text, r.id_floor}})
      .then([rp, v = r.version](const store_written&) mutable { rp.deliver(v); },
            [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
    return rp;
  }
  auto it = st.room_records.find(r.room);
  if (it == st.room_records.end()) {
    if (st.room_records.size() >= st.cfg->max_channels)
      return make_error(errc::quota_exceeded, "this node keeps quota.max_channels room records");
    it = st.room_records.emplace(r.room, store_room{}).first;
  }
  auto floor = std::max(it->second.id_floor, r.id_floor);
  it->second = store_room{true, r.version, r.state_text, r.metadata_text, floor};
  return r.version;
}

// An owner room starting up (a node back in the cluster wins room.R again) asks the replica
// nodes for what they keep: changes made while it was away are there, not on its own disk.
caf::result<wire_room_record> kept_room_record(directory_ptr self, const std::string& room) {
  auto& st = self->state;
  if (!valid_room_name(room))
    return make_error(errc::bad_request, "not a room name");
  auto as_wire = [room](const store_room& r) {
    return wire_room_record{room, r.version, r.state_json, r.metadata_json, r.id_floor};
  };
  if (!st.store)
    return as_wire(kept_record(st, room));
  auto rp = self->make_response_promise<wire_room_record>();
  self->request(st.store, caf::infinite, st_roomld_atom::value, store_room_load{room})
    .then([rp, as_wire](const store_room& r) mutable { rp.deliver(as_wire(r)); },
          [rp](caf::error& e) mutable { rp.deliver(std::move(e)); });
  return rp;
}

} // namespace sy::directory_impl
