// The admin API's channel pages (GET /v1/channels, GET /v1/channels/{c}): the directory picks
// the page from its ordered channel map and hands it, with the channels' handles, to a one-shot
// gatherer that asks each channel for its numbers (and, for room.R, the live room for its
// members) within the page timeout, then answers. The directory itself waits for nothing.
#include "actors/directory_state.hpp"

#include <boost/json.hpp>

#include "actors/connections.hpp"
#include "schema/admin.hpp"

namespace sy::directory_impl {

namespace {

struct gather_state {
  channel_listing page;
  channel_listing_completion done;
  std::size_t waiting = 0;

  static inline const char* name = "channel_page";
};

void finish(caf::stateful_actor<gather_state>* self) {
  if (auto done = std::move(self->state.done))
    done->complete(self->state.page);
  self->quit();
}

void answered(caf::stateful_actor<gather_state>* self) {
  if (--self->state.waiting == 0)
    finish(self);
}

// `room`: set when the directory will send the room a read whose answer comes here.
caf::behavior gather(caf::stateful_actor<gather_state>* self, channel_listing page,
                     std::vector<channel_actor> channels, bool room,
                     channel_listing_completion done, std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.page = std::move(page);
  st.done = std::move(done);
  st.waiting = channels.size() + (room ? 1 : 0) + 1; // + 1: this turn, so none finishes early
  for (std::size_t i = 0; i < channels.size(); ++i)
    self->request(channels[i], timeout, chanstat_atom::value)
      .then(
        [self, i](std::uint64_t subs, std::uint64_t last, std::uint64_t retained,
                  std::uint64_t epoch) {
          auto& r = self->state.page.rows[i];
          r.answered = true;
          r.subscribers = subs;
          r.last_seq = last;
          r.retained = retained;
          r.epoch = epoch;
          answered(self);
        },
        [self](const caf::error&) { answered(self); }); // retired meanwhile: numbers unknown
  self->delayed_send(self, timeout, tick_atom::value);
  answered(self);
  return {
    [self](const room_result& r) {
      if (!r.error) {
        boost::system::error_code ec;
        auto v = boost::json::parse(r.json, ec);
        if (!ec && v.is_object())
          if (auto* m = v.get_object().if_contains("members"); m && m->is_array())
            self->state.page.members_json = boost::json::serialize(*m);
      }
      if (self->state.page.members_json.empty())
        self->state.page.room.clear(); // no presence to show
      answered(self);
    },
    [self](tick_atom) { finish(self); },
  };
}

// The room's answer, to the gatherer (dropped unanswered: the gatherer's deadline covers it).
class members_sink final : public completion<room_result> {
public:
  explicit members_sink(caf::actor to) : to_(std::move(to)) {
  }
  void complete(const room_result& r) override {
    caf::anon_send(to_, r);
  }
  void fail(errc code, std::string detail) override {
    caf::anon_send(to_, room_result{code, std::move(detail), {}, 0});
  }

private:
  caf::actor to_;
};

bool has_prefix(const std::string& name, const std::string& prefix) {
  return name.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

void list_channels(directory_ptr self, const channel_list_request& req) {
  auto& st = self->state;
  channel_listing page;
  std::vector<channel_actor> handles;
  directory_state::room_entry* room = nullptr;
  if (!req.name.empty()) {
    auto it = st.channels.find(req.name);
    if (it == st.channels.end())
      return req.done->fail(errc::not_found, "no channel " + req.name + " is live on this node");
    page.rows.push_back(channel_row{it->first});
    handles.push_back(it->second.channel);
    if (has_prefix(req.name, std::string(room_channel_prefix))) {
      auto name = req.name.substr(room_channel_prefix.size());
      if (auto r = st.rooms.find(name); r != st.rooms.end()) {
        room = &r->second;
        page.room = name;
      }
    }
  } else {
    const auto& q = req.query;
    auto it = q.after.empty() || q.after < q.prefix ? st.channels.lower_bound(q.prefix)
                                                     : st.channels.upper_bound(q.after);
    for (; it != st.channels.end() && page.rows.size() < q.limit && has_prefix(it->first, q.prefix);
         ++it) {
      page.rows.push_back(channel_row{it->first});
      handles.push_back(it->second.channel);
    }
    if (it != st.channels.end() && has_prefix(it->first, q.prefix) && !page.rows.empty())
      page.next = page.rows.back().name;
  }
  auto room_name = page.room;
  auto g = self->home_system().spawn(gather, std::move(page), std::move(handles), room != nullptr,
                                     req.done, admin_page_timeout(*st.cfg));
  if (room) { // counted like every message the directory sends a room (retirement)
    room->forwarded++;
    self->send(room->room, roomread_atom::value,
               room_read{room_name, std::make_shared<members_sink>(g)});
  }
}

} // namespace sy::directory_impl
