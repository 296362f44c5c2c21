// Rooms by name: the directory spawns a room actor on its first use and forwards joins and the
// REST calls to it. Rooms count against quota.max_channels (a count of their own, next to the
// channels holding events). A room with no member offers to retire when retiring loses
// nothing: with storage.engine = rocksdb always (its version, state and metadata are stored, and
// the next use loads them); in memory only when it holds version 0 and metadata {} -- one with
// state or metadata lives until shutdown.
#include "actors/directory_state.hpp"

#include "actors/room.hpp"

namespace sy::directory_impl {

room_actor* room_for(directory_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.rooms.find(name);
  if (it == st.rooms.end()) {
    if (st.rooms.size() >= st.cfg->max_channels)
      return nullptr;
    auto room = spawn_room(self->home_system(), name, st.cfg, self, st.store);
    it = st.rooms.emplace(name, directory_state::room_entry{std::move(room), 0}).first;
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

} // namespace sy::directory_impl
