// The relay side of a clustered room (CLUSTER.md "Rooms"): linking to the owner, the mirror
// kept from the owner's snapshot and changes, and what local members ask, sent to the owner.
#include "actors/room_state.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>

#include "schema/dialects/fabric/fabric.hpp"

namespace json = boost::json;

namespace sy::room_impl {

namespace {

void send_joined(room_ptr self, const session_actor& s, const member& m) {
  auto& st = self->state;
  room_join_ack ack;
  ack.room = st.room;
  ack.handle = self;
  ack.member = m.id;
  ack.joined = make_frame(fabric::encode_joined(st.room, m.id, members_json(st), st.metadata_text,
                                                st.state_text, st.version));
  self->send(s, joined_atom::value, std::move(ack));
}

void send_join(room_ptr self, std::uint64_t token, const room_state::pending_join& pj) {
  auto& st = self->state;
  self->send(st.owner, rjoin_atom::value, wire_room_join{token, st.node, pj.user, pj.info});
}

// A REST write that reached a relay node: the owner serves it; no answer in time is 503.
void call_owner(room_ptr self, wire_room_call c, room_completion done) {
  auto& st = self->state;
  st.calls++;
  auto answered = [self] {
    self->state.calls--;
    check_idle(self);
  };
  self->request(st.owner, peer_timeout(st), rcall_atom::value, std::move(c))
    .then(
      [done, answered](const wire_room_result& r) {
        answered();
        if (!done)
          return;
        room_result out;
        if (r.error)
          out.error = static_cast<errc>(r.error);
        out.error_message = r.message;
        out.json = r.json;
        out.version = r.version;
        done->complete(out);
      },
      [done, answered](const caf::error&) {
        answered();
        if (done)
          done->fail(errc::unavailable, "the room's owner node did not answer");
      });
}

// Answers a relay's REST call once the owner has served it.
} // namespace

// -- relay ---------------------------------------------------------------------------------------

void link(room_ptr self) {
  auto& st = self->state;
  st.owner = nullptr;
  st.loading = true;
  wire_room_link l;
  l.room = st.room;
  l.node = st.node;
  l.relay = self;
  for (const auto& [n, m] : st.members)
    if (m.session)
      l.members.push_back(join_change(n, m));
  l.version = st.version;
  l.state_text = st.state_text;
  l.metadata_text = st.metadata_text;
  l.id_floor = st.id_floor;
  if (st.owner_node)
    self->send(st.owner_node, roomlink_atom::value, std::move(l));
  self->delayed_send(self, peer_timeout(st), rrelink_atom::value, ++st.link_seq);
}

void on_snapshot(room_ptr self, const wire_room_snapshot& s) {
  auto& st = self->state;
  if (!is_relay(st) || !s.owner)
    return;
  // The new list against the mirror: local members get the difference as presence changes.
  std::map<std::uint64_t, member> next;
  std::unordered_map<std::string, std::uint64_t> next_ids;
  for (const auto& c : s.members) {
    auto m = from_join(c);
    note_id(st, m.id, c.n);
    if (auto old = st.by_id.find(m.id); old != st.by_id.end()) {
      const auto& was = st.members.at(old->second);
      m.session = was.session;
      m.seen = was.seen;
      if (was.info != m.info)
        st.pending.push_back({presence_change::kind::update, m.id, {}, m.info, 0});
    } else {
      st.pending.push_back({presence_change::kind::join, m.id, m.user, m.info, m.joined_ms});
    }
    next_ids[m.id] = c.n;
    next.emplace(c.n, std::move(m));
  }
  for (const auto& [n, m] : st.members) {
    if (next_ids.count(m.id))
      continue;
    st.pending.push_back({presence_change::kind::leave, m.id, {}, {}, 0});
    if (m.session) { // the owner does not know it (cannot happen after a link that listed it)
      self->demonitor(m.session.address());
      st.by_session.erase(m.session.address());
    }
  }
  st.members = std::move(next);
  st.by_id = std::move(next_ids);
  st.by_session.clear();
  for (const auto& [n, m] : st.members)
    if (m.session)
      st.by_session[m.session.address()] = n;
  adopt_record(self, s.version, s.state_text, s.metadata_text);
  st.id_floor = std::max(st.id_floor, s.id_floor);
  st.next_member = std::max(st.next_member, s.id_floor);
  st.synced = true;
  if (st.owner && st.owner.address() != s.owner.address())
    self->demonitor(st.owner.address());
  st.owner = s.owner;
  self->monitor(st.owner);
  st.loading = false;
  // Joins sent to an owner that is gone go to this one.
  for (auto& [token, pj] : st.pending_joins)
    if (pj.sent_to != st.owner.address()) {
      pj.sent_to = st.owner.address();
      send_join(self, token, pj);
    }
  if (!st.pending.empty())
    arm_flush(self);
  run_waiting(self);
}

void on_change(room_ptr self, const wire_room_change& c) {
  auto& st = self->state;
  if (!from_owner(self))
    return; // before the snapshot (it holds this change), or from an owner that moved
  switch (c.what) {
    case wire_room_change::join: {
      note_id(st, c.member, c.n);
      auto m = from_join(c);
      st.pending.push_back({presence_change::kind::join, m.id, m.user, m.info, m.joined_ms});
      st.by_id[m.id] = c.n;
      st.members.emplace(c.n, std::move(m));
      return arm_flush(self);
    }
    case wire_room_change::leave: {
      auto it = st.by_id.find(c.member);
      if (it == st.by_id.end())
        return;
      auto& m = st.members.at(it->second);
      if (m.session) {
        self->demonitor(m.session.address());
        st.by_session.erase(m.session.address());
      }
      st.pending.push_back({presence_change::kind::leave, c.member, {}, {}, 0});
      st.members.erase(it->second);
      st.by_id.erase(it);
      arm_flush(self);
      return check_idle(self);
    }
    case wire_room_change::update:
      if (auto* m = member_by_id(self, c.member)) {
        m->info = c.info;
        st.pending.push_back({presence_change::kind::update, c.member, {}, c.info, 0});
        arm_flush(self);
      }
      return;
    case wire_room_change::state: {
      boost::system::error_code ec;
      auto v = json::parse(c.state_text, ec);
      if (ec || !v.is_object())
        return;
      st.state = std::move(v);
      st.state_text = c.state_text;
      st.version = c.version;
      return broadcast(self, make_frame(fabric::encode_state(st.room, c.text, st.version,
                                                             c.member)));
    }
    case wire_room_change::metadata:
      st.metadata_text = c.text;
      return broadcast(self, make_frame(fabric::encode_metadata(st.room, st.metadata_text)));
    case wire_room_change::ids: // a new block: if this node owns the room next, it goes on above
      st.id_floor = std::max(st.id_floor, c.n);
      st.next_member = std::max(st.next_member, c.n);
      return;
  }
}

void on_joined(room_ptr self, const wire_room_joined& j) {
  auto& st = self->state;
  if (!from_owner(self))
    return;
  auto it = st.pending_joins.find(j.token);
  if (it == st.pending_joins.end())
    return;
  auto pj = std::move(it->second);
  st.pending_joins.erase(it);
  if (j.error) {
    if (!pj.cancelled) {
      room_join_ack ack;
      ack.room = st.room;
      ack.error = static_cast<errc>(j.error);
      ack.error_message = j.message;
      self->send(pj.session, joined_atom::value, std::move(ack));
    }
    return check_idle(self);
  }
  auto* m = member_by_id(self, j.member);
  if (pj.cancelled || !m) {
    self->send(st.owner, rleave_atom::value, j.member);
    return check_idle(self);
  }
  m->session = pj.session;
  m->seen = st.changes_base + st.pending.size(); // its join is in the mirror's window already
  st.by_session[pj.session.address()] = st.by_id.at(j.member);
  send_joined(self, pj.session, *m);
}

void relay_join(room_ptr self, const room_join& j) {
  auto& st = self->state;
  auto refuse = [&](errc e, std::string msg) { refuse_join(self, j, e, msg); };
  auto addr = j.session.address();
  if (st.by_session.count(addr)
      || std::any_of(st.pending_joins.begin(), st.pending_joins.end(),
                     [&](const auto& p) { return p.second.session.address() == addr; }))
    return refuse(errc::bad_request, "this connection is a member already");
  if (j.info_json.size() > st.cfg->rooms_max_info_bytes)
    return refuse(errc::info_too_large, "info is over rooms.max_info_bytes ("
                                          + std::to_string(st.cfg->rooms_max_info_bytes) + ")");
  auto token = st.next_token++;
  auto& pj = st.pending_joins[token];
  pj.session = j.session;
  pj.user = j.user;
  pj.info = j.info_json;
  pj.sent_to = st.owner.address();
  self->monitor(j.session);
  send_join(self, token, pj);
}

void relay_leave(room_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  for (auto& [token, pj] : st.pending_joins)
    if (pj.session.address() == who)
      pj.cancelled = true;
  if (auto it = st.by_session.find(who); it != st.by_session.end()) {
    auto& m = st.members.at(it->second);
    // The member stays in the mirror until the owner's leave comes back; it gets no frame.
    // While the relay links (again) the leave waits for the owner's snapshot: the link may
    // have listed the member already.
    m.session = nullptr;
    when_ready(self, false, {[self, id = m.id] {
                               if (self->state.owner)
                                 self->send(self->state.owner, rleave_atom::value, id);
                             },
                             [](errc, const std::string&) {}});
    st.by_session.erase(it);
  }
  self->demonitor(who);
  check_idle(self);
}

void relay_info(room_ptr self, const caf::actor_addr& who, const std::string& info) {
  if (auto* m = find_member(self, who))
    self->send(self->state.owner, rinfo_atom::value, m->id, info);
}

void relay_patch(room_ptr self, const room_patch& p) {
  auto& st = self->state;
  if (p.from) {
    if (auto* m = find_member(self, p.from))
      self->send(st.owner, rpatch_atom::value, m->id, p.patch_json, p.version);
    return;
  }
  call_owner(self, wire_room_call{0, p.patch_json, p.version}, p.done);
}

void relay_metadata(room_ptr self, const room_metadata& md) {
  call_owner(self, wire_room_call{1, md.metadata_json, 0}, md.done);
}

void relay_volatile(room_ptr self, const room_volatile& v) {
  if (auto* m = find_member(self, v.from))
    self->send(self->state.owner, rvolatile_atom::value, m->id, v.type, v.data_json);
}

} // namespace sy::room_impl
