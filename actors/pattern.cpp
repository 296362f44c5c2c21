#include "actors/pattern.hpp"

#include "actors/retirement_clock.hpp"
#include "actors/subscriber_set.hpp"

namespace sy {

namespace {

struct pattern_state {
  pattern_args args;
  subscriber_set subs;
  retirement_clock retirement;

  static inline const char* name = "pattern";
};

using pattern_ptr = pattern_actor::stateful_pointer<pattern_state>;

// A pattern holds no history: with no subscriber left it retires channel.empty_idle_ms later
// (one self-message), not channel.idle_ms, like a channel that never held an event.
void check_unused_soon(pattern_ptr self) {
  auto& st = self->state;
  auto delay = st.retirement.arm_check(st.args.cfg->channel_empty_idle_ms);
  if (delay == 0)
    self->send(self, unused_atom::value);
  else if (delay > 0)
    self->delayed_send(self, std::chrono::milliseconds(delay), unused_atom::value);
}

void fan_out(pattern_ptr self, const event_batch& all) {
  self->state.subs.fan_out(all, [self](const subscriber_set::member& m, const event_batch& batch,
                                       std::uint32_t offset) {
    self->send(m.session, deliver_atom::value, m.sub_id, batch, offset);
  });
}

pattern_actor::behavior_type pattern_behavior(pattern_ptr self, pattern_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  auto idle_ms = st.args.cfg->channel_idle_ms;
  self->set_down_handler([self](caf::down_msg& dm) {
    if (self->state.subs.remove(dm.source)) {
      self->state.retirement.touch();
      check_unused_soon(self);
    }
  });
  self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
  return {
    [self](subscribe_atom, sub_request& req) {
      auto& st = self->state;
      st.retirement.on_directory_message();
      if (!st.subs.contains(req.session.address()))
        self->monitor(req.session);
      sub_ack ack;
      ack.sub_id = req.sub_id;
      ack.topic = st.args.pattern;
      ack.pattern = self;
      self->send(req.session, suback_atom::value, std::move(ack));
      st.subs.add(req, 0); // every burst received from now on
    },
    [self](unsubscribe_atom, const caf::actor_addr& who, std::uint32_t sub_id) {
      if (self->state.subs.remove(who, sub_id))
        self->demonitor(who);
      self->state.retirement.touch();
      check_unused_soon(self);
    },
    [self](deliver_atom, const event_batch& all) { fan_out(self, all); },
    [self](deliver_atom, const std::vector<event>& burst) {
      // From the owner on another node: encoded once here for every local subscriber.
      auto all = std::make_shared<std::vector<event_ptr>>();
      all->reserve(burst.size());
      for (const auto& e : burst)
        all->push_back(std::make_shared<const encoded_event>(encode_event(e)));
      fan_out(self, std::move(all));
    },
    [self](unused_atom) {
      auto& st = self->state;
      st.retirement.check_arrived();
      auto grace = st.args.cfg->channel_empty_idle_ms;
      if (!st.subs.empty())
        return;
      if (st.retirement.quiet_ms() < grace)
        return check_unused_soon(self);
      if (st.retirement.report_due(false, grace))
        self->send(st.args.directory, idle_atom::value, st.args.pattern, st.retirement.handled());
    },
    [self, idle_ms](tick_atom) {
      auto& st = self->state;
      if (st.retirement.report_due(!st.subs.empty(), st.args.cfg->channel_empty_idle_ms))
        self->send(st.args.directory, idle_atom::value, st.args.pattern, st.retirement.handled());
      self->delayed_send(self, std::chrono::milliseconds(idle_ms), tick_atom::value);
    },
    [self](retire_atom) { self->quit(); },
    // Shutdown: the bursts handed to this pattern before the directory's drain were forwarded
    // to the sessions when their messages were handled, which was before this one.
    [](drain_atom) -> std::size_t { return 0; },
  };
}

} // namespace

pattern_actor spawn_pattern(caf::actor_system& sys, pattern_args args) {
  return sys.spawn(pattern_behavior, std::move(args));
}

} // namespace sy
