#include "actors/session.hpp"

#include <algorithm>
#include <unordered_map>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "actors/completions.hpp"
#include "actors/log_event.hpp"
#include "actors/reply_order.hpp"
#include "schema/codes.hpp"

namespace sy {

namespace {

struct subscription {
  std::string topic;
  channel_actor channel; // set by the ack (a channel ...
  pattern_actor pattern; // ... or a wildcard pattern)
  bool active = false;   // ack received
  bool cancelled = false; // unsubscribed before the ack arrived
  reply_order::ticket reply = 0; // the confirmation's place among the connection's replies
};

struct session_state {
  session_args args;
  std::unordered_map<std::uint32_t, subscription> subs; // by subscription id
  std::unordered_map<std::string, std::uint32_t> by_topic;
  std::uint32_t next_sub_id = 1;
  std::int64_t connected_ms = 0;
  std::int64_t last_heartbeat_ms = 0;
  std::string id;
  std::shared_ptr<const session_auth> auth; // replaced by an in-band refresh
  bool admitted = false;                    // counted by the quota actor
  std::uint64_t auth_generation = 0;        // expiry timers of older grants are ignored
  bool expiry_armed = false;                // the current grant's expiry timer is pending
  bool authenticated = true;                // false until a first-message auth (gateway)
  bool closing = false;                     // a close was requested: ignore client frames
  const dialect_codec* codec = nullptr;
  reply_order replies; // replies held behind confirmations the channels have not sent yet

  static inline const char* name = "session";
};

using session_ptr = session_actor::stateful_pointer<session_state>;

void send_text(session_ptr self, std::string text) {
  self->state.args.link->send(make_frame(std::move(text)));
}

void close_link(session_ptr self, std::uint16_t code, std::string reason) {
  self->state.closing = true;
  self->state.args.link->close(code, std::move(reason));
}

// -- replies, in command order (actors/reply_order.hpp) ---------------------------------------

outgoing text_out(std::string text) {
  outgoing o;
  o.frame = make_frame(std::move(text));
  return o;
}

void write_out(session_ptr self, outgoing& o) {
  auto& link = *self->state.args.link;
  if (o.close_code)
    link.close(o.close_code, std::move(o.close_reason));
  else if (o.batch)
    link.send_batch(std::move(o.batch), o.offset);
  else if (o.frame)
    link.send(std::move(o.frame));
}

std::size_t bytes_of(const session_state& st, const outgoing& o) {
  std::size_t n = o.frame ? o.frame->size() : 0;
  if (o.batch)
    for (std::size_t i = o.offset; i < o.batch->size(); ++i)
      if (const auto& f = (*o.batch)[i]->frame(st.args.wire))
        n += f->size();
  return n;
}

// Held replies and events are bounded like the connection's own queue: a client whose replies
// pile up behind a late confirmation is cut as a slow consumer rather than grow memory.
void check_held(session_ptr self) {
  auto& st = self->state;
  if (st.replies.held_bytes() > st.args.cfg->outbound_queue_bytes)
    close_link(self, close_code::slow_consumer, "slow_consumer");
}

// Writes what the reply order lets go; nothing after a close.
void flush_replies(session_ptr self) {
  for (auto& o : self->state.replies.take_ready()) {
    bool last = o.close_code != 0;
    write_out(self, o);
    if (last)
      break;
  }
}

// A reply decided now: written at once unless replies to earlier commands are still held.
void reply(session_ptr self, outgoing o) {
  auto& st = self->state;
  if (st.replies.empty())
    return write_out(self, o);
  auto n = bytes_of(st, o);
  st.replies.push(std::move(o), n);
  check_held(self);
}

// Part of the reply in the place `at` a subscribe reserved (written at once if it has left).
void reply_at(session_ptr self, reply_order::ticket at, outgoing o) {
  auto& st = self->state;
  auto n = bytes_of(st, o);
  if (st.replies.add(at, std::move(o), n))
    return check_held(self);
  reply(self, std::move(o)); // add() leaves `o` alone when it returns false
}

void publish_log(session_ptr self, std::string type, const boost::json::object& data) {
  // fire-and-forget: the session has no use for the stored events
  auto cmds = make_log_events(std::move(type), data);
  caf::anon_send(self->state.args.directory, publish_atom::value, unanswered(cmds));
}

void audit(session_ptr self, const char* type, const boost::json::object& data) {
  if (self->state.args.audit)
    caf::anon_send(self->state.args.audit, audit_atom::value, std::string(type),
                   boost::json::serialize(data));
}

boost::json::object identity(session_ptr self) {
  return {{"sessionId", self->state.id},
          {"sub", self->state.args.client.sub},
          {"dialect", dialect_name(self->state.args.wire)}};
}

// A quota ends the session: log.event quota.exceeded and the session.suspended audit record.
void record_suspension(session_ptr self, const char* quota, std::string reason) {
  auto data = identity(self);
  data["quota"] = quota;
  data["reason"] = std::move(reason);
  publish_log(self, "quota.exceeded", data);
  audit(self, "session.suspended", data);
}

// A refusal in the session's dialect: an error frame, or a close where the dialect closes. It
// answers a command, so it keeps that command's place among the replies: `at` is the place a
// subscribe reserved, 0 the end. A 4008 close over `quota` suspends the session.
void refuse(session_ptr self, std::string_view code, std::string_view message,
            std::string_view topic = {}, reply_order::ticket at = 0,
            const char* quota = "subscriptions") {
  auto& st = self->state;
  auto r = st.codec->error(code, message, topic);
  outgoing o;
  if (r.close_code) {
    if (r.close_code == close_code::quota_exceeded)
      record_suspension(self, quota, std::string(message));
    st.closing = true; // no later command is read; the close leaves in its place
    o.close_code = r.close_code;
    o.close_reason = std::move(r.close_reason);
  } else {
    o.frame = make_frame(std::move(r.frame));
  }
  if (at)
    reply_at(self, at, std::move(o));
  else
    reply(self, std::move(o));
}

void send_unsubscribe(session_ptr self, const subscription& sub, std::uint32_t sub_id) {
  if (sub.pattern)
    self->send(sub.pattern, unsubscribe_atom::value, self->address(), sub_id);
  else if (sub.channel)
    self->send(sub.channel, unsubscribe_atom::value, self->address(), sub_id);
}

void drop_subscription(session_ptr self, std::uint32_t sub_id) {
  auto& st = self->state;
  auto it = st.subs.find(sub_id);
  if (it == st.subs.end())
    return;
  if (it->second.active) {
    send_unsubscribe(self, it->second, sub_id);
    st.subs.erase(it);
  } else {
    it->second.cancelled = true; // the ack will come; unsubscribe then
  }
}

void subscribe(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  for (const auto& topic : cmd.topics) {
    if (st.closing)
      return;
    auto mapped = st.codec->map_topic(topic, st.args.workspace);
    if (mapped.channel.empty()) {
      refuse(self, mapped.error_code, mapped.error_message, topic);
      continue;
    }
    const std::string& channel = mapped.channel;
    bool pattern = channel.find('*') != std::string::npos;
    sub_request req;
    const std::string* since = nullptr;
    for (const auto& [t, cur] : cmd.since)
      if (t == topic)
        since = &cur;
    if (!st.args.cfg->known_topic(channel)) {
      refuse(self, error_code::channel_unavailable, "no namespace serves this topic", topic);
      continue;
    }
    if (st.auth && !st.auth->may_subscribe(channel)) {
      refuse(self, error_code::scope_denied, "the token does not grant this topic", topic);
      continue;
    }
    if (since && pattern) {
      refuse(self, error_code::bad_cursor,
             "wildcard subscriptions have no history to resume from; resume each channel by "
             "name",
             topic);
      continue;
    }
    if (since) {
      auto parsed = parse_cursor(*since);
      if (!parsed) {
        refuse(self, error_code::bad_cursor, "since cursor is not a Switchyard cursor", topic);
        continue;
      }
      req.has_since = true;
      req.since = *parsed;
    }
    auto existing = st.by_topic.find(topic);
    if (existing == st.by_topic.end() && st.by_topic.size() >= st.args.topic_limit) {
      refuse(self, error_code::quota_exceeded,
             "subscription limit of " + std::to_string(st.args.topic_limit) + " reached",
             topic);
      continue;
    }
    if (existing != st.by_topic.end())
      drop_subscription(self, existing->second);
    auto id = st.next_sub_id++;
    st.by_topic[topic] = id;
    st.subs[id] = subscription{topic, {}, {}, false, false, st.replies.reserve(steady_clock_ms())};
    req.topic = channel;
    req.session = self;
    req.sub_id = id;
    req.filter = cmd.filter;
    self->send(st.args.directory, subscribe_atom::value, std::move(req));
  }
}

void unsubscribe(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  for (const auto& topic : cmd.topics) {
    if (auto it = st.by_topic.find(topic); it != st.by_topic.end()) {
      drop_subscription(self, it->second);
      st.by_topic.erase(it);
    }
    reply(self, text_out(st.codec->unsubscribed(topic)));
  }
}

void on_ack(session_ptr self, const sub_ack& ack) {
  auto& st = self->state;
  auto it = st.subs.find(ack.sub_id);
  if (it == st.subs.end() || it->second.cancelled) {
    subscription gone;
    gone.channel = ack.channel;
    gone.pattern = ack.pattern;
    send_unsubscribe(self, gone, ack.sub_id);
    if (it != st.subs.end()) {
      st.replies.complete(it->second.reply); // unsubscribed meanwhile: no confirmation
      st.subs.erase(it);
    }
    return flush_replies(self);
  }
  const auto at = it->second.reply;
  if (ack.error) { // refused by the router (e.g. channels per node)
    // Only forget the topic if it still maps to this subscription (not a newer re-subscribe).
    auto topic = it->second.topic;
    if (auto t = st.by_topic.find(topic); t != st.by_topic.end() && t->second == ack.sub_id)
      st.by_topic.erase(t);
    st.subs.erase(it);
    refuse(self, wire_code(*ack.error), ack.error_message, topic, at, "channels");
    st.replies.complete(at);
    return flush_replies(self);
  }
  it->second.active = true;
  it->second.channel = ack.channel;
  it->second.pattern = ack.pattern;
  std::optional<bool> recovered;
  if (ack.has_since)
    recovered = ack.recovered;
  const auto& topic = it->second.topic; // the client's name for it
  if (auto frame = st.codec->subscribed(topic, ack.cursor, ack.replay.size(), recovered))
    reply_at(self, at, text_out(std::move(*frame)));
  if (ack.has_since && ack.recovered) {
    auto data = identity(self);
    data["topic"] = topic;
    data["replayed"] = ack.replay.size();
    audit(self, "session.resumed", data);
  }
  for (const auto& ev : ack.replay) {
    // Resume replay shares the live bytes; a snapshot may have its own shape (Fabric's flag).
    outgoing o;
    o.frame = ack.snapshot ? st.codec->snapshot(*ev) : ev->frame(st.args.wire);
    if (o.frame)
      reply_at(self, at, std::move(o));
  }
  st.replies.complete(at);
  flush_replies(self);
}

// Closes the session with 4001 when the grant's exp (+ clock leeway) passes, unless a refresh
// replaced the grant first (its generation no longer matches).
//
// A pending delayed message costs memory for as long as it waits, and tokens often live for
// hours: the precise timer is armed only once the deadline falls within the next tick (the
// session's tick runs anyway); until then each tick looks again.
std::int64_t tick_period_ms(const config& cfg) {
  return std::max<std::int64_t>(std::min(cfg.heartbeat_ms, cfg.idle_timeout_ms / 4), 50);
}

void arm_expiry(session_ptr self) {
  auto& st = self->state;
  if (!st.auth || st.expiry_armed)
    return;
  auto exp = st.auth->expires_at_s();
  if (!exp)
    return;
  auto deadline_ms = (*exp + st.args.cfg->auth_leeway_s) * 1000;
  auto delay = std::max<std::int64_t>(deadline_ms - wall_clock_ms(), 0);
  if (delay > tick_period_ms(*st.args.cfg))
    return; // a later tick arms it
  st.expiry_armed = true;
  self->delayed_send(self, std::chrono::milliseconds(delay), expire_atom::value,
                     st.auth_generation);
}

void refresh(session_ptr self, const std::string& token) {
  auto& st = self->state;
  if (!st.auth) {
    refuse(self, error_code::unauthorized, "nothing to refresh");
    return;
  }
  std::string error;
  auto next = st.auth->refresh(token, error);
  if (next && !st.args.workspace.empty() && st.args.wire == dialect::gateway
      && !next->may_use_workspace(st.args.workspace)) {
    next = nullptr;
    error = "the new token does not grant this workspace";
  }
  if (!next) {
    refuse(self, error_code::unauthorized, "refresh refused: " + error); // old grant stays
    return;
  }
  st.auth = std::move(next);
  st.auth_generation++;
  st.expiry_armed = false; // a timer of the old grant may be pending: its generation is stale
  arm_expiry(self);
  if (auto frame = st.codec->refreshed(st.auth->expires_at_s()))
    reply(self, text_out(std::move(*frame)));
}

void admit(session_ptr self);

// Gateway first-message auth ({"type":"auth","token":...}): until it succeeds the session may
// do nothing else. Expired -> 4001, any other refusal -> 4003.
void authenticate(session_ptr self, const std::string& token) {
  auto& st = self->state;
  auto out = st.args.verifier ? st.args.verifier->verify(token) : auth_outcome{};
  boost::json::object data{{"sessionId", st.id},
                           {"dialect", dialect_name(st.args.wire)},
                           {"remote", st.args.client.remote},
                           {"workspace", st.args.workspace},
                           {"via", "first-message"}};
  if (!out.grant) {
    data["reason"] = out.error.empty() ? std::string("no verifier") : out.error;
    audit(self, "auth.denied", data);
    if (out.expired)
      close_link(self, close_code::token_expired, "token_expired");
    else
      close_link(self, close_code::scope_denied, "unauthorized");
    return;
  }
  data["sub"] = out.grant->subject();
  if (!out.grant->may_use_workspace(st.args.workspace)) {
    data["reason"] = "workspace not granted";
    audit(self, "auth.denied", data);
    close_link(self, close_code::scope_denied, "scope_denied");
    return;
  }
  audit(self, "auth.granted", data);
  st.auth = std::move(out.grant);
  st.args.client.sub = st.auth->subject();
  st.authenticated = true;
  st.auth_generation++;
  arm_expiry(self);
  admit(self);
}

void on_tick(session_ptr self) {
  auto& st = self->state;
  auto now = steady_clock_ms();
  const auto& cfg = *st.args.cfg;
  if (now - st.args.link->last_rx_ms() >= cfg.idle_timeout_ms) {
    st.args.link->close(close_code::idle_timeout, "idle_timeout");
    return; // on_closed follows and ends the actor
  }
  if (now - st.last_heartbeat_ms >= cfg.heartbeat_ms) {
    st.last_heartbeat_ms = now;
    if (auto frame = st.codec->heartbeat(wall_clock_ms()))
      send_text(self, std::move(*frame));
    // Fabric clients keep themselves alive with {"op":"ping"}; the other dialects'
    // clients send nothing while they listen, so a WebSocket ping (answered by every client
    // stack) keeps them inside the idle timeout.
    if (st.args.wire != dialect::fabric)
      st.args.link->send_ping();
  }
  arm_expiry(self);
  // A confirmation the router never sends (its channel died) must not hold the replies behind
  // it forever: after request_timeout_ms they go without it.
  if (!st.replies.empty()) {
    st.replies.give_up_before(now, cfg.request_timeout_ms);
    flush_replies(self);
  }
  self->delayed_send(self, std::chrono::milliseconds(tick_period_ms(cfg)), tick_atom::value);
}

// Over a connection quota: log it and close with 4008 at once (not a reply to a command).
void close_over_quota(session_ptr self, const char* quota, std::string reason) {
  record_suspension(self, quota, reason);
  close_link(self, close_code::quota_exceeded, "quota_exceeded: " + reason);
}

void admit(session_ptr self) {
  auto& st = self->state;
  if (!st.args.quota)
    return;
  self->request(st.args.quota, std::chrono::seconds(5), connect_atom::value,
                st.args.client.sub, st.args.client.remote_ip)
    .then(
      [self](bool ok) {
        if (ok)
          self->state.admitted = true;
        else
          close_over_quota(self, "connections", "too many connections for this user or address");
      },
      [](const caf::error&) {}); // quota actor gone (shutdown): nothing to count
}

void on_closed(session_ptr self, std::uint16_t code, const std::string& reason) {
  auto& st = self->state;
  if (st.admitted)
    caf::anon_send(st.args.quota, disconnect_atom::value, st.args.client.sub,
                   st.args.client.remote_ip);
  // realtime.max_frames_per_s is enforced by the connection, which counts every frame (pings
  // never reach this actor); the only 4008 the session did not start itself.
  if (code == close_code::quota_exceeded && !st.closing) {
    constexpr std::string_view prefix = "quota_exceeded: ";
    record_suspension(self, "frames_per_second",
                      reason.rfind(prefix, 0) == 0 ? reason.substr(prefix.size()) : reason);
  }
  if (code == close_code::slow_consumer) {
    auto data = identity(self);
    data["limitBytes"] = st.args.cfg->outbound_queue_bytes;
    publish_log(self, "session.slow_consumer", std::move(data));
  }
  auto data = identity(self);
  data["code"] = code;
  data["reason"] = reason;
  data["durationMs"] = steady_clock_ms() - st.connected_ms;
  data["topics"] = st.by_topic.size();
  publish_log(self, "session.disconnect", std::move(data));
  // Channels learn through their monitors; the explicit unsubscribe just frees them sooner.
  for (auto& [id, sub] : st.subs)
    if (sub.active)
      send_unsubscribe(self, sub, id);
  self->quit();
}

void on_command(session_ptr self, const client_command& cmd) {
  auto& st = self->state;
  if (st.closing)
    return;
  if (!st.authenticated) {
    if (cmd.kind == op::auth)
      return authenticate(self, cmd.token);
    auto data = identity(self);
    data["reason"] = "frame before authentication";
    audit(self, "auth.denied", data);
    return close_link(self, close_code::scope_denied, "unauthorized");
  }
  switch (cmd.kind) {
    case op::ping:
      reply(self, text_out(st.codec->pong()));
      break;
    case op::subscribe:
      subscribe(self, cmd);
      break;
    case op::unsubscribe:
      unsubscribe(self, cmd);
      break;
    case op::refresh:
    case op::auth: // a new {"type":"auth"} on an authenticated session renews its token
      refresh(self, cmd.token);
      break;
    case op::invalid:
      refuse(self, cmd.error_code, cmd.error_message);
      break;
  }
}

session_actor::behavior_type session_handlers(session_ptr self) {
  return {
    [self](deliver_atom, std::uint32_t sub_id, const event_batch& batch, std::uint32_t offset) {
      auto& st = self->state;
      auto it = st.subs.find(sub_id);
      if (it == st.subs.end() || !it->second.active)
        return;
      // A wildcard spans channels the token may not read (e.g. console.realtime.*): judge the
      // concrete channel, once per burst (a burst comes from one channel).
      if (it->second.pattern && st.auth && !st.auth->may_subscribe((*batch)[offset]->ev.channel))
        return;
      if (!st.replies.empty()) { // its confirmation may still be held: events go after it
        outgoing o;
        o.batch = batch;
        o.offset = offset;
        auto n = bytes_of(st, o);
        if (st.replies.add(it->second.reply, std::move(o), n))
          return check_held(self);
      }
      st.args.link->send_batch(batch, offset);
    },
    [self](suback_atom, const sub_ack& ack) { on_ack(self, ack); },
    [self](command_atom, const client_command& cmd) { on_command(self, cmd); },
    [self](closed_atom, std::uint16_t code, const std::string& reason) {
      on_closed(self, code, reason);
    },
    [self](tick_atom) { on_tick(self); },
    [self](expire_atom, std::uint64_t generation) {
      if (generation == self->state.auth_generation && self->state.authenticated)
        close_link(self, close_code::token_expired, "token_expired");
    },
    [self](authwait_atom) {
      if (!self->state.authenticated && !self->state.closing) {
        auto data = identity(self);
        data["reason"] = "no auth message in time";
        audit(self, "auth.denied", data);
        close_link(self, close_code::scope_denied, "auth_timeout");
      }
    },
  };
}

session_actor::behavior_type session_behavior(session_ptr self, session_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  st.codec = &codec_for(st.args.wire);
  st.auth = std::move(st.args.client.auth); // one owner: refresh replaces it
  st.id = "s" + std::to_string(self->id());
  st.connected_ms = steady_clock_ms();
  st.last_heartbeat_ms = st.connected_ms;
  // If a handler throws, the actor dies: make sure its socket goes with it.
  self->attach_functor([link = st.args.link](const caf::error& reason) {
    if (reason && reason != caf::exit_reason::normal)
      link->close(close_code::internal_error, "internal error");
  });
  auto data = identity(self);
  data["remote"] = st.args.client.remote;
  data["origin"] = st.args.client.origin;
  data["userAgent"] = st.args.client.user_agent;
  if (!st.args.workspace.empty())
    data["workspace"] = st.args.workspace;
  publish_log(self, "session.connect", data);
  // Only the connect record needs these; an idle connection should not carry them.
  std::string().swap(st.args.client.origin);
  std::string().swap(st.args.client.user_agent);
  on_tick(self);
  if (st.codec->first_message_auth()) {
    if (!st.args.client.auth_error.empty()) { // a refused Authorization header
      close_link(self, st.args.client.auth_expired ? close_code::token_expired
                                                   : close_code::scope_denied,
                 st.args.client.auth_expired ? "token_expired" : "unauthorized");
    } else if (!st.auth) {
      st.authenticated = false;
      self->delayed_send(self, std::chrono::milliseconds(st.args.cfg->auth_timeout_ms),
                         authwait_atom::value);
      return session_handlers(self);
    } else if (!st.auth->may_use_workspace(st.args.workspace)) {
      close_link(self, close_code::scope_denied, "scope_denied");
    }
  }
  arm_expiry(self);
  admit(self);
  return session_handlers(self);
}

// Runs on the connection's strand: decode there (parallel across I/O threads), hand the actor
// a typed command.
class session_bridge final : public ws_handler {
public:
  session_bridge(session_actor s, const dialect_codec& codec)
    : session_(std::move(s)), codec_(codec) {
  }

  void on_text(std::string&& text) override {
    caf::anon_send(session_, command_atom::value, codec_.decode(text));
  }

  void on_closed(std::uint16_t code, std::string reason) override {
    caf::anon_send(session_, closed_atom::value, code, std::move(reason));
    session_ = nullptr; // break the link -> handler -> actor cycle
  }

private:
  session_actor session_;
  const dialect_codec& codec_;
};

} // namespace

std::shared_ptr<ws_handler> spawn_session(caf::actor_system& sys, session_args args) {
  const auto& codec = codec_for(args.wire);
  auto s = sys.spawn(session_behavior, std::move(args));
  return std::make_shared<session_bridge>(std::move(s), codec);
}

} // namespace sy
