#include "actors/directory.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <unordered_map>

#include "actors/channel.hpp"
#include "actors/pattern.hpp"

namespace sy {

namespace {

struct directory_state {
  struct entry {
    channel_actor channel;
    std::uint64_t forwarded = 0; // messages sent to the channel by the directory
  };
  struct pattern_entry {
    pattern_actor pattern;
    std::uint64_t forwarded = 0;
  };
  std::shared_ptr<const config> cfg;
  // Ordered, so a new pattern finds its existing channels with one range walk.
  std::map<std::string, entry> channels;
  // Wildcard index: pattern prefix ("postgres:" for "postgres:*", "" for "*") -> actor. A new
  // channel finds its patterns with one lookup per prefix of its name, never by scanning
  // subscriptions.
  std::unordered_map<std::string, pattern_entry> patterns;
  std::uint64_t next_epoch = 0;

  static inline const char* name = "directory";
};

using directory_ptr = directory_actor::stateful_pointer<directory_state>;

// The channel, spawned on first use; null when quota.max_channels live channels exist.
directory_state::entry* lookup(directory_ptr self, const std::string& name) {
  auto& st = self->state;
  auto it = st.channels.find(name);
  if (it != st.channels.end())
    return &it->second;
  if (st.channels.size() >= st.cfg->max_channels)
    return nullptr;
  channel_args args;
  args.name = name;
  args.epoch = st.next_epoch++;
  args.directory = self;
  args.cfg = st.cfg;
  auto ch = spawn_channel(self->system(), std::move(args));
  for (std::size_t len = 0; len <= name.size(); ++len)
    if (auto p = st.patterns.find(name.substr(0, len)); p != st.patterns.end())
      self->send(ch, attach_atom::value, p->second.pattern);
  return &st.channels.emplace(name, directory_state::entry{std::move(ch), 0}).first->second;
}

std::string channel_limit_text(directory_ptr self) {
  return "channel limit of " + std::to_string(self->state.cfg->max_channels)
         + " reached (quota.max_channels)";
}

directory_state::pattern_entry& lookup_pattern(directory_ptr self, const std::string& pattern) {
  auto& st = self->state;
  auto prefix = pattern.substr(0, pattern.size() - 1);
  auto it = st.patterns.find(prefix);
  if (it != st.patterns.end())
    return it->second;
  auto p = spawn_pattern(self->system(), {pattern, self, st.cfg});
  for (auto c = st.channels.lower_bound(prefix);
       c != st.channels.end() && c->first.compare(0, prefix.size(), prefix) == 0; ++c)
    self->send(c->second.channel, attach_atom::value, p);
  return st.patterns.emplace(prefix, directory_state::pattern_entry{std::move(p), 0})
    .first->second;
}

directory_actor::behavior_type directory_behavior(directory_ptr self,
                                                  std::shared_ptr<const config> cfg) {
  self->state.cfg = std::move(cfg);
  // Epochs start at a random point so cursors of a previous process never look current.
  std::random_device rd;
  self->state.next_epoch = ((std::uint64_t{rd()} << 20) ^ wall_clock_ms()) & 0xffffffffffffULL;
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [name, e] : self->state.channels)
      self->send_exit(e.channel, msg.reason);
    for (auto& [prefix, p] : self->state.patterns)
      self->send_exit(p.pattern, msg.reason);
    self->state.channels.clear();
    self->state.patterns.clear();
    self->quit(msg.reason);
  });
  return {
    [self](publish_atom, publish_cmd& cmd) -> caf::result<publish_result> {
      auto* e = lookup(self, cmd.channel);
      if (!e)
        return caf::make_error(caf::sec::runtime_error, channel_limit_text(self));
      e->forwarded++;
      return self->delegate(e->channel, publish_atom::value, std::move(cmd));
    },
    [self](subscribe_atom, sub_request& req) {
      if (!req.topic.empty() && req.topic.back() == '*') { // validated by the session
        auto& p = lookup_pattern(self, req.topic);
        p.forwarded++;
        self->send(p.pattern, subscribe_atom::value, std::move(req));
        return;
      }
      auto* e = lookup(self, req.topic);
      if (!e) {
        sub_ack ack;
        ack.sub_id = req.sub_id;
        ack.topic = req.topic;
        ack.error_code = "quota_exceeded";
        ack.error_message = channel_limit_text(self);
        self->send(req.session, suback_atom::value, std::move(ack));
        return;
      }
      e->forwarded++;
      self->send(e->channel, subscribe_atom::value, std::move(req));
    },
    [self](history_atom, history_query& q) -> caf::result<history_page> {
      auto it = self->state.channels.find(q.channel);
      if (it == self->state.channels.end()) {
        // Never spawn for a read. A cursor means the reader saw events that are gone now.
        history_page page;
        page.recovered = !q.has_cursor;
        return page;
      }
      it->second.forwarded++;
      return self->delegate(it->second.channel, history_atom::value, std::move(q));
    },
    [self](publish_atom, publish_items& items) {
      // Split by channel, keeping each channel's order; usually one channel, one message.
      std::vector<std::pair<std::string, publish_items>> by_channel;
      const bool one_channel =
        std::all_of(items.begin(), items.end(),
                    [&](const publish_item& i) { return i.cmd.channel == items[0].cmd.channel; });
      if (!items.empty() && one_channel) { // the common case: forward the batch as it came
        std::string name = items[0].cmd.channel;
        by_channel.emplace_back(std::move(name), std::move(items));
      } else {
        for (auto& item : items) {
          auto it = std::find_if(by_channel.begin(), by_channel.end(),
                                 [&](const auto& b) { return b.first == item.cmd.channel; });
          if (it == by_channel.end()) {
            by_channel.emplace_back(item.cmd.channel, publish_items{});
            it = std::prev(by_channel.end());
          }
          it->second.push_back(std::move(item));
        }
      }
      for (auto& [name, batch] : by_channel) {
        auto* e = lookup(self, name);
        if (!e) {
          for (auto& item : batch)
            item.done->fail("quota_exceeded", channel_limit_text(self));
          continue;
        }
        e->forwarded++;
        self->send(e->channel, publish_atom::value, std::move(batch));
      }
    },
    [self](history_atom, history_query& q, history_completion& done) {
      auto it = self->state.channels.find(q.channel);
      if (it == self->state.channels.end()) {
        history_page page; // never spawn for a read; a cursor means events are gone
        page.recovered = !q.has_cursor;
        return done->complete(page);
      }
      it->second.forwarded++;
      self->send(it->second.channel, history_atom::value, std::move(q), std::move(done));
    },
    [self](idle_atom, const std::string& name, std::uint64_t handled) {
      auto& st = self->state;
      if (!name.empty() && name.back() == '*') { // a pattern: channels drop it on its down_msg
        auto p = st.patterns.find(name.substr(0, name.size() - 1));
        if (p == st.patterns.end() || p->second.forwarded != handled)
          return;
        self->send(p->second.pattern, retire_atom::value);
        st.patterns.erase(p);
        return;
      }
      auto it = self->state.channels.find(name);
      if (it == self->state.channels.end() || it->second.forwarded != handled)
        return; // more messages are on their way: the channel stays
      self->send(it->second.channel, retire_atom::value);
      self->state.channels.erase(it);
    },
  };
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, std::shared_ptr<const config> cfg) {
  return sys.spawn(directory_behavior, std::move(cfg));
}

} // namespace sy
