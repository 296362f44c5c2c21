// The room actor's handlers (PROTOCOL.md "Rooms", CLUSTER.md "Rooms"): each message goes to
// the owner's logic (actors/room.cpp), the relay's (room_cluster.cpp), or waits while the room
// loads or links (room_store.cpp).
#include "actors/room.hpp"

#include "actors/room_state.hpp"

namespace sy {

namespace room_impl {

namespace {

bool relay(room_ptr self) {
  return self->state.mode == room_state::role::relay;
}

} // namespace

room_actor::behavior_type room_behavior(room_ptr self, std::string name,
                                        std::shared_ptr<const config> cfg,
                                        directory_actor directory, store_actor store,
                                        room_cluster_args cluster) {
  auto& st = self->state;
  st.room = std::move(name);
  st.cfg = std::move(cfg);
  st.directory = std::move(directory);
  st.store = std::move(store);
  st.node = std::move(cluster.node);
  st.owner_node = std::move(cluster.owner_node);
  st.replica_nodes = std::move(cluster.replicas);
  st.kept = std::move(cluster.record);
  // A session that dies without leaving (its actor failed) leaves here; so do the members of
  // a relay whose node is gone (owner), and a relay links again when its owner is (relay).
  self->set_down_handler([self](caf::down_msg& dm) {
    if (!peer_down(self, dm.source))
      remove_member(self, dm.source);
  });
  if (st.owner_node) {
    st.mode = room_state::role::relay;
    link(self); // a relay's version and state are the owner's: it stores nothing itself
  } else if (st.store) {
    start_loading(self);
  } else {
    take_record(self, st.kept); // owned here: what this node kept as a replica node, if any
    st.synced = true;
    if (!st.replica_nodes.empty())
      fetch_kept(self, [self] { run_waiting(self); });
  }
  return {
    [self](join_atom, const room_join& j) {
      self->state.handled++;
      auto refuse = [self, j](errc e, const std::string& msg) { refuse_join(self, j, e, msg); };
      when_ready(self, false,
                 {[self, j, refuse] {
                    // An owner gives the member an id: it may wait for the next block of ids.
                    with_member_id(self, {[self, j] {
                                            if (relay(self))
                                              return relay_join(self, j);
                                            join(self, j);
                                            check_idle(self); // a refused join into an empty room
                                          },
                                          refuse});
                  },
                  refuse});
    },
    [self](leave_atom, const caf::actor_addr& who) {
      when_ready(self, false, {[self, who] { remove_member(self, who); }, [](errc, auto&) {}});
    },
    [self](presence_atom, const caf::actor_addr& who, const std::string& info) {
      when_ready(self, false, {[self, who, info] {
                                 if (relay(self))
                                   return relay_info(self, who, info);
                                 if (auto* m = find_member(self, who))
                                   update_member_info(self, *m, info);
                               },
                               [](errc, auto&) {}});
    },
    [self](patch_atom, const room_patch& p) {
      if (!p.from) // REST, through the directory (members send theirs directly)
        self->state.handled++;
      when_ready(self, true,
                 {[self, p] {
                    if (relay(self))
                      return relay_patch(self, p);
                    apply_patch(self, patch_sender(self, p), p);
                    check_idle(self);
                  },
                  [self, p](errc e, const std::string& msg) { refuse_patch(self, p, e, msg); }});
    },
    [self](metadata_atom, const room_metadata& md) {
      self->state.handled++;
      when_ready(self, true,
                 {[self, md] {
                    if (relay(self))
                      return relay_metadata(self, md);
                    apply_metadata(self, md);
                    check_idle(self); // metadata set to {}
                  },
                  fail_rest(md)});
    },
    [self](roomread_atom, const room_read& r) {
      self->state.handled++;
      when_ready(self, false,
                 {[self, r] {
                    read(self, r); // a relay answers from its mirror
                    check_idle(self); // a read of a room nobody uses
                  },
                  fail_rest(r)});
    },
    [self](volatile_atom, const room_volatile& v) {
      when_ready(self, false, {[self, v] {
                                 if (relay(self))
                                   return relay_volatile(self, v);
                                 if (auto* m = find_member(self, v.from))
                                   fan_volatile(self, *m, v.type, v.data_json);
                               },
                               [](errc, auto&) {}});
    },
    [self](flush_atom) { flush(self); },
    [self](retire_atom) { self->quit(); },
    // -- across a cluster (room_cluster.cpp) --
    [self](roomlink_atom, const wire_room_link& l) {
      self->state.handled++;
      when_ready(self, false, {[self, l] { on_link(self, l); }, [](errc, auto&) {}});
    },
    [self](roomsnap_atom, const wire_room_snapshot& s) { on_snapshot(self, s); },
    [self](roomchg_atom, const wire_room_change& c) { on_change(self, c); },
    [self](rstate_atom, const wire_room_change& c) -> std::uint64_t {
      on_change(self, c);
      return self->state.version;
    },
    [self](rjoin_atom, const wire_room_join& j) {
      auto refuse = [self, j](errc e, const std::string& msg) {
        refuse_owner_join(self, j, e, msg);
      };
      when_ready(self, false, {[self, j, refuse] {
                                 with_member_id(self, {[self, j] { owner_join(self, j); }, refuse});
                               },
                               refuse});
    },
    [self](rjoined_atom, const wire_room_joined& j) { on_joined(self, j); },
    [self](rleave_atom, const std::string& id) {
      when_ready(self, false, {[self, id] { owner_leave(self, id); }, [](errc, auto&) {}});
    },
    [self](rinfo_atom, const std::string& id, const std::string& info) {
      when_ready(self, false, {[self, id, info] {
                                 if (auto* m = member_by_id(self, id); m && !relay(self))
                                   update_member_info(self, *m, info);
                               },
                               [](errc, auto&) {}});
    },
    [self](rpatch_atom, const std::string& id, const std::string& patch, std::uint64_t v) {
      room_patch p;
      p.room = self->state.room;
      p.from_member = id;
      p.patch_json = patch;
      p.version = v;
      when_ready(self, true, {[self, p] {
                                if (!relay(self))
                                  apply_patch(self, patch_sender(self, p), p);
                              },
                              [](errc, auto&) {}});
    },
    [self](rvolatile_atom, const std::string& id, const std::string& type,
           const std::string& data) {
      if (auto* m = member_by_id(self, id); m && !relay(self))
        fan_volatile(self, *m, type, data);
    },
    [self](rto_atom, const std::string& id, const std::string& text) {
      if (auto* m = member_by_id(self, id); m && m->session && relay(self))
        send_member(self, *m, text);
    },
    [self](rbcast_atom, const std::string& except, const std::string& text) {
      if (!relay(self))
        return;
      auto frame = make_frame(text);
      for (const auto& [n, m] : self->state.members)
        if (m.session && m.id != except)
          self->send(m.session, roomframe_atom::value, self->state.room, frame);
    },
    [self](rcall_atom, const wire_room_call& c) -> caf::result<wire_room_result> {
      return owner_call(self, c);
    },
    [self](roomowner_atom, const cluster_actor& owner, const std::vector<std::string>& live) {
      owner_moved(self, owner, live);
    },
    [self](roomreps_atom, const std::vector<cluster_actor>& replicas, const store_room& kept) {
      self->state.replica_nodes = replicas;
      if (kept.found)
        self->state.kept = kept;
    },
    [self](rrelink_atom, std::uint64_t seq) {
      if (relay(self) && !self->state.owner && seq == self->state.link_seq)
        link(self); // the owner did not answer: its view may lag ours, try again
    },
  };
}

} // namespace room_impl

room_actor spawn_room(caf::actor_system& sys, std::string name, std::shared_ptr<const config> cfg,
                      directory_actor directory, store_actor store, room_cluster_args cluster) {
  return sys.spawn(room_impl::room_behavior, std::move(name), std::move(cfg),
                   std::move(directory), std::move(store), std::move(cluster));
}

} // namespace sy
