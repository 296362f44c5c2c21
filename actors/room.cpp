#include "actors/room.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "actors/room_state.hpp"
#include "schema/dialects/fabric/fabric.hpp"
#include "schema/json_text.hpp"
#include "schema/room_merge_patch.hpp"

namespace json = boost::json;

namespace sy {

namespace room_impl {

namespace {

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
    self->send(m.session, roomframe_atom::value, self->state.room, frame);
}

void send_to(room_ptr self, const session_actor& s, std::string text) {
  self->send(s, roomframe_atom::value, self->state.room, make_frame(std::move(text)));
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

void flush(room_ptr self) {
  auto& st = self->state;
  st.flush_armed = false;
  if (st.pending.empty())
    return;
  // Members that saw none of the window share one frame; each recent joiner gets the diff
  // after its own join (the same for every joiner that joined at the same point).
  std::map<std::uint64_t, frame_ptr> by_start;
  for (const auto& [n, m] : st.members) {
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

// A room with no member, state or metadata is what a fresh one would be: it offers to retire.
// Sessions talk to a room directly only while they are members, so once it is empty only the
// directory can still reach it, and the directory's count says whether anything is on the way.
void check_idle(room_ptr self) {
  auto& st = self->state;
  if (st.directory && st.members.empty() && st.version == 0 && st.metadata_text == "{}")
    self->send(st.directory, roomidle_atom::value, st.room, st.handled);
}

void remove_member(room_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto it = st.by_session.find(who);
  if (it == st.by_session.end())
    return;
  auto m = st.members.find(it->second);
  st.pending.push_back({presence_change::kind::leave, m->second.id, {}, {}, 0});
  self->demonitor(who);
  st.members.erase(m);
  st.counted_members.down();
  st.by_session.erase(it);
  arm_flush(self);
  check_idle(self);
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
  auto n = st.next_member++;
  member m;
  m.id = std::to_string(n);
  m.user = j.user;
  m.info = j.info_json;
  m.joined_ms = wall_clock_ms();
  m.session = j.session;
  st.pending.push_back({presence_change::kind::join, m.id, m.user, m.info, m.joined_ms});
  m.seen = st.changes_base + st.pending.size();
  ack.member = m.id;
  st.by_session[j.session.address()] = n;
  st.members.emplace(n, std::move(m));
  st.counted_members.up();
  ack.joined = make_frame(fabric::encode_joined(st.room, ack.member, members_json(st),
                                                st.metadata_text, st.state_text, st.version));
  self->monitor(j.session);
  self->send(j.session, joined_atom::value, std::move(ack));
  arm_flush(self);
}

void update_info(room_ptr self, const caf::actor_addr& who, const std::string& info) {
  auto& st = self->state;
  auto* m = find_member(self, who);
  if (!m)
    return; // left meanwhile
  if (info.size() > st.cfg->rooms_max_info_bytes)
    return send_to(self, m->session,
                   fabric::encode_room_error(wire_code(errc::info_too_large),
                                             "info is over rooms.max_info_bytes", st.room));
  m->info = info;
  st.pending.push_back({presence_change::kind::update, m->id, {}, info, 0});
  arm_flush(self);
}

void patch(room_ptr self, const room_patch& p) {
  auto& st = self->state;
  member* m = nullptr;
  if (p.from) {
    m = find_member(self, p.from);
    if (!m)
      return; // left meanwhile: nobody to answer
  }
  auto refuse = [&](errc e, std::string frame, std::string msg) {
    if (m)
      return send_to(self, m->session, std::move(frame));
    if (p.done)
      p.done->complete(room_result{e, std::move(msg), {}, st.version});
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
  st.state = std::move(next);
  st.state_text = std::move(text);
  st.version++;
  broadcast(self, make_frame(fabric::encode_state(st.room, p.patch_json, st.version,
                                                  m ? std::string_view(m->id) : "")));
  if (p.done) {
    std::string body = "{\"room\":";
    append_json_string(body, st.room);
    body += ",\"version\":" + std::to_string(st.version) + "}";
    p.done->complete(room_result{std::nullopt, {}, std::move(body), st.version});
  }
}

void set_metadata(room_ptr self, const room_metadata& md) {
  auto& st = self->state;
  st.metadata_text = md.metadata_json;
  broadcast(self, make_frame(fabric::encode_metadata(st.room, st.metadata_text)));
  if (md.done) {
    std::string body = "{\"room\":";
    append_json_string(body, st.room);
    body += ",\"metadata\":" + st.metadata_text + "}";
    md.done->complete(room_result{std::nullopt, {}, std::move(body), st.version});
  }
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
void deliver_volatile(room_ptr self, const room_volatile& v) {
  auto& st = self->state;
  auto* from = find_member(self, v.from);
  if (!from)
    return;
  auto frame = make_frame(fabric::encode_volatile_event(st.room, wall_clock_ms(), v.type,
                                                        v.data_json, from->id, from->user));
  for (const auto& [n, m] : st.members)
    if (m.session.address() != v.from)
      self->send(m.session, roomframe_atom::value, st.room, frame);
}

room_actor::behavior_type room_behavior(room_ptr self, std::string name,
                                        std::shared_ptr<const config> cfg,
                                        directory_actor directory) {
  self->state.room = std::move(name);
  self->state.cfg = std::move(cfg);
  self->state.directory = std::move(directory);
  // A session that dies without leaving (its actor failed) leaves here.
  self->set_down_handler([self](caf::down_msg& dm) { remove_member(self, dm.source); });
  return {
    [self](join_atom, const room_join& j) {
      self->state.handled++;
      join(self, j);
      check_idle(self); // a refused join into an empty room
    },
    [self](leave_atom, const caf::actor_addr& who) { remove_member(self, who); },
    [self](presence_atom, const caf::actor_addr& who, const std::string& info) {
      update_info(self, who, info);
    },
    [self](patch_atom, const room_patch& p) {
      if (!p.from) { // REST, through the directory (members send theirs directly)
        self->state.handled++;
        patch(self, p);
        return check_idle(self);
      }
      patch(self, p);
    },
    [self](metadata_atom, const room_metadata& md) {
      self->state.handled++;
      set_metadata(self, md);
      check_idle(self); // metadata set to {}
    },
    [self](roomread_atom, const room_read& r) {
      self->state.handled++;
      read(self, r);
      check_idle(self); // a read of a room nobody uses
    },
    [self](volatile_atom, const room_volatile& v) { deliver_volatile(self, v); },
    [self](flush_atom) { flush(self); },
    [self](retire_atom) { self->quit(); },
  };
}

} // namespace

} // namespace room_impl

room_actor spawn_room(caf::actor_system& sys, std::string name, std::shared_ptr<const config> cfg,
                      directory_actor directory) {
  return sys.spawn(room_impl::room_behavior, std::move(name), std::move(cfg),
                   std::move(directory));
}

} // namespace sy
