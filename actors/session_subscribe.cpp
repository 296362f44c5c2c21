// Subscribe and unsubscribe commands and the channels' confirmations.
#include "actors/session_state.hpp"

#include "schema/codes.hpp"

namespace sy::session_impl {

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
    // A joined room holds one subscription (to room.R) too.
    if (existing == st.by_topic.end()
        && st.by_topic.size() + st.rooms.size() >= st.args.topic_limit) {
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
    // A dialect with no live frame at publish (SSE) builds the replayed ones here.
    outgoing o;
    const auto& live = ev->frame(st.args.wire);
    o.frame = ack.snapshot || !live ? st.codec->snapshot(*ev) : live;
    if (o.frame)
      reply_at(self, at, std::move(o));
  }
  st.replies.complete(at);
  flush_replies(self);
}

} // namespace sy::session_impl
