#pragma once
// The session actor's state and the functions its files share (only actors/session*.cpp
// include it): session_replies.cpp (replies in command order, refusals, log records),
// session_subscribe.cpp (subscribe, unsubscribe, acks), session_auth.cpp (token expiry,
// refresh, first-message auth), session.cpp (lifecycle and message handlers).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/json/object.hpp>
#include <spdlog/common.h>

#include "actors/reply_order.hpp"
#include "actors/session.hpp"
#include "schema/room.hpp"

namespace sy::session_impl {

struct subscription {
  std::string topic;
  channel_actor channel; // set by the ack (a channel ...
  pattern_actor pattern; // ... or a wildcard pattern)
  bool active = false;   // ack received
  bool cancelled = false; // unsubscribed before the ack arrived
  reply_order::ticket reply = 0; // the confirmation's place among the connection's replies
};

// A room this connection joined (session_rooms.cpp): its member, and the subscription to its
// channel room.R that carries the room's events.
struct joined_room {
  room_actor handle;          // set by the room's ack
  std::string member;
  std::uint32_t sub_id = 0;   // in `subs`
  reply_order::ticket reply = 0; // the joined frame's place among the replies
  bool active = false;        // acked
  bool left = false;          // left before the ack: leave the room when it comes
};

struct session_state {
  session_args args;
  std::unordered_map<std::uint32_t, subscription> subs; // by subscription id
  std::unordered_map<std::string, std::uint32_t> by_topic;
  std::unordered_map<std::string, joined_room> rooms; // by room name
  std::uint32_t next_sub_id = 1;
  std::int64_t connected_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
  std::string id;
  std::shared_ptr<const session_auth> auth; // replaced by an in-band refresh
  bool admitted = false;                    // counted by the quota actor
  bool registered = false;                  // listed by the connections registry
  std::uint64_t auth_generation = 0;        // expiry timers of older grants are ignored
  bool expiry_armed = false;                // the current grant's expiry timer is pending
  bool authenticated = true;                // false until a first-message auth (gateway)
  bool closing = false;                     // a close was requested: ignore client frames
  const dialect_codec* codec = nullptr;
  reply_order replies; // replies held behind confirmations the channels have not sent yet

  static inline const char* name = "session";
};

using session_ptr = session_actor::stateful_pointer<session_state>;

// -- session_replies.cpp --

void send_text(session_ptr self, std::string text);
void close_link(session_ptr self, std::uint16_t code, std::string reason);
outgoing text_out(std::string text);
std::size_t bytes_of(const session_state& st, const outgoing& o);
void check_held(session_ptr self);
void flush_replies(session_ptr self);
void reply(session_ptr self, outgoing o);
void reply_at(session_ptr self, reply_order::ticket at, outgoing o);
void publish_log(session_ptr self, std::string type, const boost::json::object& data);
void audit(session_ptr self, const char* type, const boost::json::object& data);
boost::json::object identity(session_ptr self);
/// An operator's log line about this connection: session, dialect, user, remote, then `extra`.
void log_conn(session_ptr self, spdlog::level::level_enum level, std::string_view kind,
              std::string_view msg, const boost::json::object& extra = {});
void record_suspension(session_ptr self, const char* quota, std::string reason);
void refuse(session_ptr self, std::string_view code, std::string_view message,
            std::string_view topic = {}, reply_order::ticket at = 0,
            const char* quota = "subscriptions");

// -- session_subscribe.cpp --

void send_unsubscribe(session_ptr self, const subscription& sub, std::uint32_t sub_id);
void drop_subscription(session_ptr self, std::uint32_t sub_id);
void subscribe(session_ptr self, const client_command& cmd);
void unsubscribe(session_ptr self, const client_command& cmd);
void on_ack(session_ptr self, const sub_ack& ack);

// -- session_rooms.cpp --

void join_room(session_ptr self, const client_command& cmd);
void leave_room(session_ptr self, const client_command& cmd);
void room_presence(session_ptr self, const client_command& cmd);
void room_state(session_ptr self, const client_command& cmd);
void room_publish(session_ptr self, const client_command& cmd);
void on_joined(session_ptr self, const room_join_ack& ack);
void on_room_frame(session_ptr self, const std::string& room, const frame_ptr& frame);
void leave_all_rooms(session_ptr self);

// -- session_auth.cpp --

std::int64_t tick_period_ms(const config& cfg);
void arm_expiry(session_ptr self);
void refresh(session_ptr self, const std::string& token);
void authenticate(session_ptr self, const std::string& token);

// -- session.cpp --

void admit(session_ptr self);

} // namespace sy::session_impl
