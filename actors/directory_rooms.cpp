// Rooms by name: the directory spawns a room actor on its first use and forwards joins and the
// REST calls to it. Rooms count against quota.max_channels (a count of their own, next to the
// channels holding events). A room with no member offers to retire when retiring loses
// nothing: with storage.engine = rocksdb always (its version, state and metadata are stored, and
// the next use loads them); in memory only when it holds version 0 and metadata {} -- one with
// state or metadata lives until shutdown. In a cluster the room of R is owned where the channel
// room.R is (its rank), and is a relay of that one elsewhere (CLUSTER.md "Rooms").
#include "actors/directory_state.hpp"

#include "actors/room.hpp"
#include "schema/room_cluster.hpp"

namespace sy::directory_impl {

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
    auto owner = cl.owner_node;
    auto room = spawn_room(self->home_system(), name, st.cfg, self, st.store, std::move(cl));
    it = st.rooms.emplace(name, directory_state::room_entry{std::move(room), 0, owner}).first;
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
    if (owner == e.owner)
      continue;
    e.owner = owner;
    self->send(e.room, roomowner_atom::value, owner, st.view.node_ids);
  }
}

} // namespace sy::directory_impl
