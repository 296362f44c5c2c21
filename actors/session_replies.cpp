// A session's replies in command order (actors/reply_order.hpp), its refusals in the
// dialect's form, and its log and audit records.
#include "actors/session_state.hpp"

#include <boost/json/serialize.hpp>

#include "actors/completions.hpp"
#include "actors/log_event.hpp"
#include "actors/log_line.hpp"
#include "metrics/hooks.hpp"
#include "schema/codes.hpp"

namespace sy::session_impl {

void send_text(session_ptr self, std::string text) {
  self->state.args.link->send(make_frame(std::move(text)));
}

void close_link(session_ptr self, std::uint16_t code, std::string reason) {
  self->state.closing = true;
  leave_all_rooms(self); // at once, not when the close handshake ends
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
  else if (o.batch) {
    metrics::delivered(*o.batch, o.offset);
    link.send_batch(std::move(o.batch), o.offset);
  }
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

void log_conn(session_ptr self, spdlog::level::level_enum level, std::string_view kind,
              std::string_view msg, const boost::json::object& extra) {
  const auto& st = self->state;
  boost::json::object fields{{"session", st.id},
                             {"dialect", dialect_name(st.args.wire)},
                             {"user", st.args.client.sub},
                             {"remote", st.args.client.remote}};
  for (const auto& kv : extra)
    fields[kv.key()] = kv.value();
  log_record(level, kind, msg, fields);
}

// A quota ends the session: log.event quota.exceeded and the session.suspended audit record.
void record_suspension(session_ptr self, const char* quota, std::string reason) {
  log_conn(self, spdlog::level::warn, "quota.refused", "quota refused, closing",
           {{"quota", quota}, {"reason", reason}, {"code", close_code::quota_exceeded}});
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
            std::string_view topic, reply_order::ticket at, const char* quota) {
  auto& st = self->state;
  metrics::refused(errc_from_wire(code));
  auto r = st.codec->error(code, message, topic);
  outgoing o;
  if (r.close_code) {
    if (r.close_code == close_code::quota_exceeded)
      record_suspension(self, quota, std::string(message));
    st.closing = true; // no later command is read; the close leaves in its place
    o.close_code = r.close_code;
    o.close_reason = std::move(r.close_reason);
  } else {
    if (code == error_code::quota_exceeded) {
      boost::json::object extra{{"reason", message}};
      if (!topic.empty())
        extra["topic"] = topic;
      log_conn(self, spdlog::level::warn, "quota.refused", "quota refused", extra);
    }
    o.frame = make_frame(std::move(r.frame));
  }
  if (at)
    reply_at(self, at, std::move(o));
  else
    reply(self, std::move(o));
}

} // namespace sy::session_impl
