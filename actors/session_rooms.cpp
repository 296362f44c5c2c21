// Rooms on a connection (PROTOCOL.md "Rooms"): join (the room actor's snapshot, then the
// subscription to the room's channel room.R), leave, info updates, state patches and member
// publishes. Rooms are a Fabric feature (only its codec decodes these ops), so the refusals
// here are Fabric's room error frames, which name the room.
#include "actors/session_state.hpp"

#include "schema/codes.hpp"
#include "schema/dialects/fabric/fabric.hpp"
#include "schema/json_text.hpp"

namespace sy::session_impl {

namespace {

void refuse_room(session_ptr self, errc e, std::string_view message, std::string_view room,
                 reply_order::ticket at = 0) {
  auto o = text_out(fabric::encode_room_error(wire_code(e), message, room));
  if (at)
    reply_at(self, at, std::move(o));
  else
    reply(self, std::move(o));
}

// The joined room of `cmd`, or null after answering not_joined.
joined_room* joined(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  auto it = st.rooms.find(cmd.room);
  if (it == st.rooms.end() || it->second.left) {
    refuse_room(self, errc::not_joined, "this connection has not joined the room", cmd.room);
    return nullptr;
  }
  if (!it->second.active) {
    refuse_room(self, errc::not_joined, "the join is not confirmed yet: wait for \"joined\"",
                cmd.room);
    return nullptr;
  }
  return &it->second;
}

// Subscribes to room.R like a subscribe command would, with the join's `since`; its
// confirmation takes the place after the joined frame.
std::uint32_t subscribe_room_channel(session_ptr self, const std::string& channel,
                                     const std::optional<cursor>& since) {
  auto& st = self->state;
  auto id = st.next_sub_id++;
  st.subs[id] = subscription{channel, {}, {}, false, false, st.replies.reserve(steady_clock_ms())};
  sub_request req;
  req.topic = channel;
  req.session = self;
  req.sub_id = id;
  if (since) {
    req.has_since = true;
    req.since = *since;
  }
  self->send(st.args.directory, subscribe_atom::value, std::move(req));
  return id;
}

} // namespace

void join_room(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  const auto channel = room_channel(cmd.room);
  if (st.rooms.count(cmd.room))
    return refuse_room(self, errc::bad_request, "this connection has joined the room already",
                       cmd.room);
  if (!st.args.cfg->known_topic(channel))
    return refuse_room(self, errc::channel_unavailable, "no namespace serves this room",
                       cmd.room);
  if (st.auth && !st.auth->may_subscribe(channel))
    return refuse_room(self, errc::scope_denied, "the token does not grant subscribe on " + channel,
                       cmd.room);
  std::optional<cursor> since;
  if (!cmd.since.empty()) {
    since = parse_cursor(cmd.since.front().second);
    if (!since)
      return refuse_room(self, errc::bad_cursor, "since cursor is not a Switchyard cursor",
                         cmd.room);
  }
  // A room holds one subscription (to room.R): rooms count against realtime.topic_limit.
  if (st.by_topic.size() + st.rooms.size() >= st.args.topic_limit)
    return refuse_room(self, errc::quota_exceeded,
                       "subscription limit of " + std::to_string(st.args.topic_limit)
                         + " reached (rooms count)",
                       cmd.room);
  auto& r = st.rooms[cmd.room];
  r.reply = st.replies.reserve(steady_clock_ms());
  room_join j;
  j.room = cmd.room;
  j.session = self;
  j.user = st.args.client.sub;
  j.info_json = cmd.body_json;
  self->send(st.args.directory, join_atom::value, std::move(j));
  r.sub_id = subscribe_room_channel(self, channel, since);
}

void on_joined(session_ptr self, const room_join_ack& ack) {
  auto& st = self->state;
  auto it = st.rooms.find(ack.room);
  if (it == st.rooms.end() || it->second.active) // not ours (cannot happen): drop it
    return;
  auto& r = it->second;
  const auto at = r.reply;
  if (ack.error) {
    refuse_room(self, *ack.error, ack.error_message, ack.room, at);
    drop_subscription(self, r.sub_id); // its confirmation never shows
    st.rooms.erase(it);
    st.replies.complete(at);
    return flush_replies(self);
  }
  reply_at(self, at, outgoing{ack.joined, {}, 0, 0, {}});
  st.replies.complete(at);
  if (r.left) { // left before the answer: the `left` reply is queued behind this one
    self->send(ack.handle, leave_atom::value, self->address());
    st.rooms.erase(it);
  } else {
    r.active = true;
    r.handle = ack.handle;
    r.member = ack.member;
  }
  flush_replies(self);
}

void leave_room(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  auto it = st.rooms.find(cmd.room);
  if (it == st.rooms.end() || it->second.left)
    return refuse_room(self, errc::not_joined, "this connection has not joined the room",
                       cmd.room);
  drop_subscription(self, it->second.sub_id);
  if (it->second.active) {
    self->send(it->second.handle, leave_atom::value, self->address());
    st.rooms.erase(it);
  } else {
    it->second.left = true; // on_joined leaves
  }
  reply(self, text_out(fabric::encode_left(cmd.room)));
}

void room_presence(session_ptr self, const client_command& cmd) {
  if (auto* r = joined(self, cmd))
    self->send(r->handle, presence_atom::value, self->address(), cmd.body_json);
}

void room_state(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  auto* r = joined(self, cmd);
  if (!r)
    return;
  if (st.auth && !st.auth->may_publish(room_channel(cmd.room)))
    return refuse_room(self, errc::scope_denied,
                       "the token does not grant publish on " + room_channel(cmd.room), cmd.room);
  room_patch p;
  p.room = cmd.room;
  p.from = self->address();
  p.patch_json = cmd.body_json;
  p.version = cmd.version;
  self->send(r->handle, patch_atom::value, std::move(p));
}

namespace {

// A member's stored publish: success shows as the event on the member's own subscription to
// room.R; a refusal (quota_exceeded, insufficient_storage, unavailable) comes back as a room
// error frame through the session's room-frame path.
class member_publish final : public completion<publish_result> {
public:
  member_publish(session_actor session, std::string room)
    : session_(std::move(session)), room_(std::move(room)) {
  }
  ~member_publish() override {
    if (session_)
      fail(errc::unavailable, "the router did not answer");
  }
  void complete(const publish_result&) override {
    session_ = nullptr;
  }
  void fail(errc code, std::string detail) override {
    if (auto s = std::move(session_)) {
      session_ = nullptr;
      caf::anon_send(s, roomframe_atom::value, room_,
                     make_frame(fabric::encode_room_error(wire_code(code), detail, room_)));
    }
  }

private:
  session_actor session_;
  std::string room_;
};

} // namespace

void room_publish(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  auto* r = joined(self, cmd);
  if (!r)
    return;
  const auto channel = room_channel(cmd.room);
  if (st.auth && !st.auth->may_publish(channel))
    return refuse_room(self, errc::scope_denied, "the token does not grant publish on " + channel,
                       cmd.room);
  if (cmd.volatile_event) {
    self->send(r->handle, volatile_atom::value,
               room_volatile{self->address(), cmd.event_type, cmd.body_json});
    return;
  }
  // Stored like a REST publish; the metadata names the member so subscribers of room.R (and
  // scopes) can tell who sent it.
  publish_cmd pc;
  pc.channel = channel;
  pc.type = cmd.event_type;
  pc.data_json = cmd.body_json;
  pc.metadata_json = "{\"member\":" + json_quote(r->member) + ",\"user\":"
                     + json_quote(st.args.client.sub) + "}";
  pc.metadata = {{"member", r->member}, {"user", st.args.client.sub}};
  publish_request req;
  req.items.push_back({std::move(pc), std::make_shared<member_publish>(self, cmd.room)});
  self->send(st.args.directory, publish_atom::value, std::move(req));
}

void on_room_frame(session_ptr self, const std::string& room, const frame_ptr& frame) {
  auto& st = self->state;
  auto it = st.rooms.find(room);
  if (it == st.rooms.end() || !it->second.active)
    return; // left: frames the room sent before it saw the leave
  reply(self, outgoing{frame, {}, 0, 0, {}});
}

void leave_all_rooms(session_ptr self) {
  for (auto& [name, r] : self->state.rooms)
    if (r.active)
      self->send(r.handle, leave_atom::value, self->address());
  // Not acked yet: the room monitors this session and removes the member on its down_msg.
  self->state.rooms.clear();
}

} // namespace sy::session_impl
