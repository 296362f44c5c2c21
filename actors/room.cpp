#include "actors/room.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/room_state.hpp"
#include "schema/dialects/fabric/fabric.hpp"
#include "schema/json_text.hpp"
#include "schema/room_merge_patch.hpp"

namespace json = boost::json;

namespace sy::room_impl {

// A room with no member offers to retire when nothing would be lost: with a store its version,
// state and metadata are on disk (the next use loads them); without one only a room with version
// 0 and metadata {} -- what a fresh one would be -- does. Sessions talk to a room directly only
// while they are members, so once it is empty only the directory can still reach it, and the
// directory's count says whether anything is on the way.
// A relay holds only its own members (the owner keeps the room) and the REST writes it passed to
// the owner: retiring would drop their answers. An owner stays while relays are linked: their
// REST writes and joins reach it directly, not through the directory's count.
void check_idle(room_ptr self) {
  auto& st = self->state;
  if (!st.directory || st.loading || st.writing || !st.waiting.empty() || st.reserving
      || !st.id_waiting.empty())
    return;
  if (st.mode == room_state::role::relay) {
    if (!st.by_session.empty() || !st.pending_joins.empty() || st.calls > 0)
      return;
  } else if (!st.members.empty() || !st.relays.empty()
             || (!st.store && (st.version != 0 || st.metadata_text != "{}"))) {
    return;
  }
  self->send(st.directory, roomidle_atom::value, st.room, st.handled);
}

void arm_flush(room_ptr self) {
  auto& st = self->state;
  if (st.flush_armed)
    return;
  st.flush_armed = true;
  if (st.cfg->rooms_presence_window_ms <= 0)
    self->send(self, flush_atom::value); // behind whatever is in the mailbox already
  else
    self->delayed_send(self, std::chrono::milliseconds(st.cfg->rooms_presence_window_ms),
                       flush_atom::value);
}

// One encoded frame, shared by every member it goes to.
void broadcast(room_ptr self, const frame_ptr& frame) {
  for (const auto& [n, m] : self->state.members)
    if (m.session)
      self->send(m.session, roomframe_atom::value, self->state.room, frame);
}

void send_member(room_ptr self, const member& m, std::string text) {
  auto& st = self->state;
  if (m.session)
    return self->send(m.session, roomframe_atom::value, st.room, make_frame(std::move(text)));
  if (auto r = st.relays.find(m.node); r != st.relays.end())
    self->send(r->second, rto_atom::value, m.id, std::move(text));
}

std::string members_json(const room_state& st) {
  std::string out = "[";
  for (const auto& [n, m] : st.members) {
    if (out.size() > 1)
      out += ',';
    out += fabric::encode_member(m.id, m.user, m.info, m.joined_ms);
  }
  out += ']';
  return out;
}

member* find_member(room_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.by_session.find(who);
  return it == st.by_session.end() ? nullptr : &st.members.at(it->second);
}

member* member_by_id(room_ptr self, const std::string& id) {
  auto& st = self->state;
  auto it = st.by_id.find(id);
  return it == st.by_id.end() ? nullptr : &st.members.at(it->second);
}


void flush(room_ptr self) {
  auto& st = self->state;
  st.flush_armed = false;
  if (st.pending.empty())
    return;
  // Members that saw none of the window share one frame; each recent joiner gets the diff
  // after its own join (the same for every joiner that joined at the same point).
  std::map<std::uint64_t, frame_ptr> by_start;
  for (const auto& [n, m] : st.members) {
    if (!m.session)
      continue; // another node's: its relay sends it the diffs
    auto start = m.seen > st.changes_base ? m.seen - st.changes_base : 0;
    auto it = by_start.find(start);
    if (it == by_start.end()) {
      auto d = compact_presence(st.pending, start);
      frame_ptr f;
      if (!d.empty)
        f = make_frame(fabric::encode_presence(st.room, d.joins, d.leaves, d.updates));
      it = by_start.emplace(start, std::move(f)).first;
    }
    if (it->second)
      self->send(m.session, roomframe_atom::value, st.room, it->second);
  }
  st.changes_base += st.pending.size();
  st.pending.clear();
}

void remove_member(room_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  if (st.mode == room_state::role::relay)
    return relay_leave(self, who);
  auto it = st.by_session.find(who);
  if (it == st.by_session.end())
    return;
  drop_member(self, it->second);
  check_idle(self);
}

member& add_member(room_ptr self, member m, std::uint64_t n) {
  auto& st = self->state;
  if (n == 0)
    n = st.next_member++;
  st.next_member = std::max(st.next_member, n + 1);
  st.pending.push_back({presence_change::kind::join, m.id, m.user, m.info, m.joined_ms});
  m.seen = st.changes_base + st.pending.size();
  if (m.session) {
    st.by_session[m.session.address()] = n;
    self->monitor(m.session);
  }
  st.by_id[m.id] = n;
  to_relays(self, join_change(n, m));
  arm_flush(self);
  st.counted_members.up();
  return st.members.emplace(n, std::move(m)).first->second;
}

void drop_member(room_ptr self, std::uint64_t n) {
  auto& st = self->state;
  auto it = st.members.find(n);
  if (it == st.members.end())
    return;
  auto& m = it->second;
  st.pending.push_back({presence_change::kind::leave, m.id, {}, {}, 0});
  if (m.session) {
    self->demonitor(m.session.address());
    st.by_session.erase(m.session.address());
  }
  wire_room_change c;
  c.what = wire_room_change::leave;
  c.member = m.id;
  to_relays(self, c);
  st.by_id.erase(m.id);
  st.members.erase(it);
  st.counted_members.down();
  arm_flush(self);
}


void join(room_ptr self, const room_join& j) {
  auto& st = self->state;
  room_join_ack ack;
  ack.room = st.room;
  ack.handle = self;
  auto refuse = [&](errc e, std::string msg) {
    ack.error = e;
    ack.error_message = std::move(msg);
    self->send(j.session, joined_atom::value, std::move(ack));
  };
  if (st.by_session.count(j.session.address()))
    return refuse(errc::bad_request, "this connection is a member already");
  if (j.info_json.size() > st.cfg->rooms_max_info_bytes)
    return refuse(errc::info_too_large, "info is over rooms.max_info_bytes ("
                                          + std::to_string(st.cfg->rooms_max_info_bytes) + ")");
  if (st.members.size() >= st.cfg->rooms_max_members)
    return refuse(errc::room_full, "the room has rooms.max_members ("
                                     + std::to_string(st.cfg->rooms_max_members) + ") members");
  member m;
  m.id = std::to_string(st.next_member);
  m.user = j.user;
  m.info = j.info_json;
  m.joined_ms = wall_clock_ms();
  m.session = j.session;
  m.node = st.node;
  ack.member = add_member(self, std::move(m)).id;
  ack.joined = make_frame(fabric::encode_joined(st.room, ack.member, members_json(st),
                                                st.metadata_text, st.state_text, st.version));
  self->send(j.session, joined_atom::value, std::move(ack));
}

void update_member_info(room_ptr self, member& m, const std::string& info) {
  auto& st = self->state;
  if (info.size() > st.cfg->rooms_max_info_bytes)
    return send_member(self, m,
                       fabric::encode_room_error(wire_code(errc::info_too_large),
                                                 "info is over rooms.max_info_bytes", st.room));
  m.info = info;
  st.pending.push_back({presence_change::kind::update, m.id, {}, info, 0});
  wire_room_change c;
  c.what = wire_room_change::update;
  c.member = m.id;
  c.info = info;
  to_relays(self, c);
  arm_flush(self);
}


member* patch_sender(room_ptr self, const room_patch& p) {
  if (p.from)
    return find_member(self, p.from);
  return p.from_member.empty() ? nullptr : member_by_id(self, p.from_member);
}

bool from_member(const room_patch& p) {
  return p.from || !p.from_member.empty();
}

// A refusal goes to the member that sent the patch as an error frame, or to REST.
void refuse_patch(room_ptr self, const room_patch& p, errc e, const std::string& msg,
                  std::string frame) {
  auto& st = self->state;
  if (from_member(p)) {
    if (auto* m = patch_sender(self, p))
      send_member(self, *m,
                  frame.empty() ? fabric::encode_room_error(wire_code(e), msg, st.room)
                                : std::move(frame));
    return;
  }
  if (p.done)
    p.done->complete(room_result{e, msg, {}, st.version});
}

// The patch takes effect: memory, then one frame for every member, then the REST answer.
void commit_patch(room_ptr self, json::value next, std::string text, const room_patch& p,
                  const std::string& member_id) {
  auto& st = self->state;
  wire_room_change c;
  c.what = wire_room_change::state;
  c.member = member_id;
  c.version = st.version + 1;
  c.text = p.patch_json;
  c.state_text = text;
  // In a cluster the relays and the replica nodes hold the new version before it takes effect
  // here (a new owner then has it), as a burst reaches the replicas before its publishes are
  // acknowledged.
  auto next_ptr = std::make_shared<json::value>(std::move(next));
  auto record = record_of(st, st.version + 1, text, st.metadata_text, st.id_floor);
  replicate(self, c, record, [self, next_ptr, text = std::move(text), p, member_id]() mutable {
    auto& st = self->state;
    st.state = std::move(*next_ptr);
    st.state_text = std::move(text);
    st.version++;
    broadcast(self, make_frame(fabric::encode_state(st.room, p.patch_json, st.version,
                                                    member_id)));
    if (p.done) {
      std::string body = "{\"room\":";
      append_json_string(body, st.room);
      body += ",\"version\":" + std::to_string(st.version) + "}";
      p.done->complete(room_result{std::nullopt, {}, std::move(body), st.version});
    }
  });
}

void apply_patch(room_ptr self, member* m, const room_patch& p) {
  auto& st = self->state;
  if (from_member(p) && !m)
    return; // left meanwhile: nobody to answer
  auto refuse = [&](errc e, std::string frame, std::string msg) {
    refuse_patch(self, p, e, msg, std::move(frame));
  };
  if (p.version != st.version)
    return refuse(errc::version_conflict, fabric::encode_version_conflict(st.room, st.version),
                  "the state is at version " + std::to_string(st.version));
  boost::system::error_code ec;
  auto patch_value = json::parse(p.patch_json, ec);
  if (ec || !patch_value.is_object())
    return refuse(errc::bad_request,
                  fabric::encode_room_error(wire_code(errc::bad_request),
                                            "the patch must be a JSON object", st.room),
                  "the patch must be a JSON object");
  json::value next = st.state;
  merge_patch(next, patch_value);
  auto text = json::serialize(next);
  if (text.size() > st.cfg->rooms_max_state_bytes) {
    auto msg = "the state would be " + std::to_string(text.size())
               + " bytes, over rooms.max_state_bytes ("
               + std::to_string(st.cfg->rooms_max_state_bytes) + ")";
    return refuse(errc::state_too_large,
                  fabric::encode_room_error(wire_code(errc::state_too_large), msg, st.room), msg);
  }
  std::string member_id = m ? m->id : std::string();
  if (!st.store)
    return commit_patch(self, std::move(next), std::move(text), p, member_id);
  auto next_ptr = std::make_shared<json::value>(std::move(next));
  auto record = stored_form(record_of(st, st.version + 1, text, st.metadata_text, st.id_floor));
  persist(
    self, std::move(record),
    [self, next_ptr, text, p, member_id] {
      commit_patch(self, std::move(*next_ptr), text, p, member_id);
    },
    [self, p](const std::string&) {
      refuse_patch(self, p, errc::insufficient_storage, "the state could not be stored");
    });
}


// Metadata follows the rule of patches: the relays and the replica nodes have it before it
// takes effect here (frames, the REST answer).
void commit_metadata(room_ptr self, const room_metadata& md) {
  auto& st = self->state;
  wire_room_change c;
  c.what = wire_room_change::metadata;
  c.text = md.metadata_json;
  auto record = record_of(st, st.version, st.state_text, md.metadata_json, st.id_floor);
  replicate(self, c, record, [self, md] {
    auto& st = self->state;
    st.metadata_text = md.metadata_json;
    broadcast(self, make_frame(fabric::encode_metadata(st.room, st.metadata_text)));
    if (md.done) {
      std::string body = "{\"room\":";
      append_json_string(body, st.room);
      body += ",\"metadata\":" + st.metadata_text + "}";
      md.done->complete(room_result{std::nullopt, {}, std::move(body), st.version});
    }
  });
}

void apply_metadata(room_ptr self, const room_metadata& md) {
  auto& st = self->state;
  if (!st.store)
    return commit_metadata(self, md);
  persist(
    self, stored_form(record_of(st, st.version, st.state_text, md.metadata_json, st.id_floor)),
    [self, md] { commit_metadata(self, md); },
    [self, md](const std::string&) {
      if (md.done)
        md.done->fail(errc::insufficient_storage, "the metadata could not be stored");
    });
}


void refuse_join(room_ptr self, const room_join& j, errc e, const std::string& msg) {
  room_join_ack ack;
  ack.room = self->state.room;
  ack.error = e;
  ack.error_message = msg;
  self->send(j.session, joined_atom::value, std::move(ack));
}


void read(room_ptr self, const room_read& r) {
  auto& st = self->state;
  if (!r.done)
    return;
  std::string body = "{\"room\":";
  append_json_string(body, st.room);
  body += ",\"members\":" + members_json(st);
  body += ",\"metadata\":" + st.metadata_text;
  body += ",\"state\":" + st.state_text;
  body += ",\"version\":" + std::to_string(st.version) + "}";
  r.done->complete(room_result{std::nullopt, {}, std::move(body), st.version});
}

// Volatile member publishes skip the channel: no seq, no history, not sent back to the sender.
void fan_volatile(room_ptr self, const member& from, const std::string& type,
                  const std::string& data) {
  auto& st = self->state;
  auto text = fabric::encode_volatile_event(st.room, wall_clock_ms(), type, data, from.id,
                                            from.user);
  for (const auto& [node, relay] : st.relays)
    self->send(relay, rbcast_atom::value, from.id, text);
  auto frame = make_frame(std::move(text));
  for (const auto& [n, m] : st.members)
    if (m.session && m.id != from.id)
      self->send(m.session, roomframe_atom::value, st.room, frame);
}


} // namespace sy::room_impl
