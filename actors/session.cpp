#include "actors/session.hpp"

#include <algorithm>

#include "actors/session_state.hpp"
#include "metrics/hooks.hpp"
#include "schema/admin.hpp"
#include "schema/codes.hpp"
#include "schema/dialects/registry.hpp"

namespace sy {

namespace session_impl {

void on_tick(session_ptr self) {
  auto& st = self->state;
  auto now = steady_clock_ms();
  const auto& cfg = *st.args.cfg;
  if (now - st.args.link->last_rx_ms() >= cfg.idle_timeout_ms) {
    // A silent peer may not answer the close either (realtime.close_timeout_ms more): its
    // rooms see it leave now.
    leave_all_rooms(self);
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
    if (dialect_for(st.args.wire).keep_alive == keep_alive_policy::ws_ping)
      st.args.link->send_ping();
  }
  arm_expiry(self);
  // A confirmation the router never sends (its channel died) must not hold the replies behind
  // it forever: after request_timeout_ms they go without it.
  if (!st.replies.empty()) {
    st.replies.give_up_before(now, cfg.request_timeout_ms);
    flush_replies(self);
  }
  // The next tick comes at the period, or sooner when the idle deadline or the next heartbeat
  // falls before it: with a fixed period an idle client was closed up to one period late
  // (120-150 s for the documented 120 s). A client that keeps sending never gets the early
  // tick: its deadline stays more than a period away.
  auto next = tick_period_ms(cfg);
  next = std::min(next, cfg.idle_timeout_ms - (now - st.args.link->last_rx_ms()));
  next = std::min(next, cfg.heartbeat_ms - (now - st.last_heartbeat_ms));
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(next, 1)),
                     tick_atom::value);
}

// Over a connection quota: log it and close with 4008 at once (not a reply to a command).
void close_over_quota(session_ptr self, const char* quota, std::string reason) {
  record_suspension(self, quota, reason);
  close_link(self, close_code::quota_exceeded, "quota_exceeded: " + reason);
}

// Listed by the admin API from admission on: once per session, never per frame.
void register_connection(session_ptr self) {
  auto& st = self->state;
  if (!st.args.connections || st.registered || st.closing)
    return;
  st.registered = true;
  conn_entry e;
  e.key = self->id();
  e.id = st.id;
  e.dialect = dialect_name(st.args.wire);
  e.user = st.args.client.sub;
  e.address = st.args.client.remote;
  e.connected_at_ms = wall_clock_ms() - (steady_clock_ms() - st.connected_ms);
  e.handle = caf::actor_cast<session_actor>(self);
  self->send(st.args.connections, connreg_atom::value, std::move(e));
}

void admit(session_ptr self) {
  auto& st = self->state;
  if (!st.args.quota)
    return;
  self->request(st.args.quota, std::chrono::seconds(5), connect_atom::value,
                st.args.client.sub, st.args.client.remote_ip)
    .then(
      [self](admission a) {
        if (a == admission::admitted) {
          self->state.admitted = true;
          register_connection(self);
        } else
          close_over_quota(self, "connections", "too many connections for this user or address");
      },
      [](const caf::error&) {}); // quota actor gone (shutdown): nothing to count
}

void on_closed(session_ptr self, std::uint16_t code, const std::string& reason) {
  auto& st = self->state;
  metrics::connection_closed(st.args.wire, code);
  if (st.admitted)
    caf::anon_send(st.args.quota, disconnect_atom::value, st.args.client.sub,
                   st.args.client.remote_ip);
  if (st.registered)
    self->send(st.args.connections, connleft_atom::value, std::uint64_t{self->id()});
  // realtime.max_frames_per_s is enforced by the connection, which counts every frame (pings
  // never reach this actor); the only 4008 the session did not start itself.
  if (code == close_code::quota_exceeded && !st.closing) {
    constexpr std::string_view prefix = "quota_exceeded: ";
    record_suspension(self, "frames_per_second",
                      reason.rfind(prefix, 0) == 0 ? reason.substr(prefix.size()) : reason);
  }
  if (code == close_code::slow_consumer) {
    log_conn(self, spdlog::level::warn, "conn.slow_consumer",
             "slow consumer: send queue full, closing",
             {{"limitBytes", st.args.cfg->outbound_queue_bytes}, {"code", code}});
    auto data = identity(self);
    data["limitBytes"] = st.args.cfg->outbound_queue_bytes;
    publish_log(self, "session.slow_consumer", std::move(data));
  }
  auto data = identity(self);
  data["code"] = code;
  data["reason"] = reason;
  data["durationMs"] = steady_clock_ms() - st.connected_ms;
  data["topics"] = st.by_topic.size();
  log_conn(self, spdlog::level::info, "conn.close", "connection closed",
           {{"code", code},
            {"reason", reason},
            {"durationMs", data["durationMs"]},
            {"topics", data["topics"]}});
  publish_log(self, "session.disconnect", std::move(data));
  leave_all_rooms(self); // at once: the other members see the leave in the next presence diff
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
    case op::join:
      join_room(self, cmd);
      break;
    case op::leave:
      leave_room(self, cmd);
      break;
    case op::presence:
      room_presence(self, cmd);
      break;
    case op::state:
      room_state(self, cmd);
      break;
    case op::room_publish:
      room_publish(self, cmd);
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
      metrics::delivered(*batch, offset);
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
    // Server shutdown, after the channels drained: the close goes through the link's outbox
    // behind every delivery this actor already sent, so a subscriber gets those first.
    [self](shutdown_atom) {
      if (!self->state.closing)
        close_link(self, close_code::going_away, "server shutdown");
    },
    // The admin API: this connection's numbers for row `row` of a page, sent to `sink` from the
    // connection's I/O thread (only it knows what is queued); no reply when the loop is gone.
    [self](connstat_atom, const conn_stat_sink& sink, std::uint32_t row) {
      std::uint64_t subs = self->state.by_topic.size();
      self->state.args.link->queued_bytes([sink, row, subs](std::size_t queued) {
        caf::anon_send(sink, connstat_atom::value, row, subs, std::uint64_t{queued});
      });
    },
    // An operator closes this connection: 4011 behind what is already queued (an SSE stream
    // ends with `event: close` and the same code). The ticket answers the request when this
    // message is gone.
    [self](kick_atom, const kick_ticket&) {
      if (self->state.closing)
        return;
      log_conn(self, spdlog::level::info, "conn.admin_close", "closed by an operator",
               {{"code", close_code::closed_by_admin}});
      close_link(self, close_code::closed_by_admin, "closed_by_admin");
    },
    [self](joined_atom, const room_join_ack& ack) { on_joined(self, ack); },
    [self](roomframe_atom, const std::string& room, const frame_ptr& frame) {
      on_room_frame(self, room, frame);
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
  metrics::connection_opened(st.args.wire);
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
  log_conn(self, spdlog::level::info, "conn.open", "connection open");
  // Only the connect record needs these; an idle connection should not carry them.
  std::string().swap(st.args.client.origin);
  std::string().swap(st.args.client.user_agent);
  on_tick(self);
  if (st.codec->first_message_auth) {
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

// Runs on the connection's I/O thread: decode there (in parallel across I/O threads), hand the
// actor a typed command.
class session_bridge final : public ws_handler {
public:
  session_bridge(session_actor s, const dialect_codec& codec)
    : session_(std::move(s)), codec_(codec) {
  }

  void on_text(std::string&& text) override {
    caf::anon_send(session_, command_atom::value, codec_.decode(text));
  }

  bool on_shutdown() override {
    if (!session_)
      return false;
    caf::anon_send(session_, shutdown_atom::value);
    return true;
  }

  void on_closed(std::uint16_t code, std::string reason) override {
    caf::anon_send(session_, closed_atom::value, code, std::move(reason));
    session_ = nullptr; // break the link -> handler -> actor cycle
  }

private:
  session_actor session_;
  const dialect_codec& codec_;
};

} // namespace session_impl

std::shared_ptr<ws_handler> spawn_session(caf::actor_system& sys, session_args args) {
  using namespace session_impl;
  const auto& codec = codec_for(args.wire);
  auto s = sys.spawn(session_behavior, std::move(args));
  return std::make_shared<session_bridge>(std::move(s), codec);
}

} // namespace sy
