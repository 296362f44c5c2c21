// Rooms across a cluster (CLUSTER.md "Rooms"). The owner room of R -- on the owner node of the
// channel room.R -- holds the authoritative member list, state, metadata and version and
// sequences every change; the room of R on any other node is a relay (room_relay.cpp): it links
// to the owner, mirrors the room from the owner's snapshot and the changes after it (CAF keeps
// per-sender order, so the mirror has no gap), serves its local members from the mirror
// (snapshots, batched presence diffs, state and metadata frames, each encoded once per node)
// and sends their joins, leaves, info, patches and volatile publishes to the owner. This file:
// the owner's side, an owner change, and what both sides share.
#include "actors/room_state.hpp"

#include <algorithm>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "schema/dialects/fabric/fabric.hpp"
#include "schema/room_merge_patch.hpp"

namespace json = boost::json;

namespace sy::room_impl {

bool is_relay(const room_state& st) {
  return st.mode == room_state::role::relay;
}

bool from_owner(room_ptr self) {
  auto& st = self->state;
  return is_relay(st) && st.owner
         && self->current_sender() == caf::actor_cast<caf::strong_actor_ptr>(st.owner);
}

wire_room_change join_change(std::uint64_t n, const member& m) {
  wire_room_change c;
  c.what = wire_room_change::join;
  c.n = n;
  c.member = m.id;
  c.user = m.user;
  c.info = m.info;
  c.joined_ms = m.joined_ms;
  c.node = m.node;
  return c;
}

member from_join(const wire_room_change& c) {
  member m;
  m.id = c.member;
  m.user = c.user;
  m.info = c.info;
  m.joined_ms = c.joined_ms;
  m.node = c.node;
  return m;
}

// New member ids stay above every id the room has seen (ids are decimal numbers), so a new
// owner that took over the list never hands out an id a member holds.
void note_id(room_state& st, const std::string& id, std::uint64_t n) {
  std::uint64_t v = 0;
  for (char ch : id) {
    if (ch < '0' || ch > '9')
      return;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  st.next_member = std::max({st.next_member, v + 1, n + 1});
}

std::chrono::milliseconds peer_timeout(const room_state& st) {
  return std::chrono::milliseconds(std::max<std::int64_t>(st.cfg->cluster_request_timeout_ms, 1));
}

// Another state replaces this room's (a relay: the owner's snapshot; an owner: a relay's more
// advanced mirror after an owner change). Members here get one state frame with the merge
// patch from what they saw to it, and the metadata frame when that changed; an owner sends the
// same to its relays.
void adopt_record(room_ptr self, std::uint64_t version, const std::string& state_text,
                  const std::string& metadata_text) {
  auto& st = self->state;
  if (version != st.version || state_text != st.state_text) {
    boost::system::error_code ec;
    auto next = json::parse(state_text, ec);
    if (ec || !next.is_object())
      return;
    auto patch = json::serialize(make_merge_patch(st.state, next));
    st.state = std::move(next);
    st.state_text = state_text;
    st.version = version;
    wire_room_change c;
    c.what = wire_room_change::state;
    c.version = version;
    c.text = patch;
    c.state_text = state_text;
    to_relays(self, c);
    broadcast(self, make_frame(fabric::encode_state(st.room, patch, st.version, "")));
  }
  if (metadata_text != st.metadata_text) {
    st.metadata_text = metadata_text;
    wire_room_change c;
    c.what = wire_room_change::metadata;
    c.text = metadata_text;
    to_relays(self, c);
    broadcast(self, make_frame(fabric::encode_metadata(st.room, st.metadata_text)));
  }
}

// With a store, the record this node now owns is written (it may have been mirrored, or adopted
// from a relay): a later incarnation here loads it. Patches wait behind the write as usual. The
// replica nodes get it too.
void store_owned(room_ptr self) {
  auto& st = self->state;
  send_record(self);
  if (!st.store || st.writing)
    return;
  persist(self,
          stored_form(record_of(st, st.version, st.state_text, st.metadata_text, st.id_floor)),
          [] {}, [](const std::string&) {});
}

namespace {

class call_done final : public completion<room_result> {
public:
  explicit call_done(caf::typed_response_promise<wire_room_result> rp) : rp_(std::move(rp)) {
  }
  ~call_done() override {
    if (!answered_)
      rp_.deliver(wire_room_result{static_cast<std::uint8_t>(errc::unavailable),
                                   "the room did not answer", {}, 0});
  }
  void complete(const room_result& r) override {
    answered_ = true;
    rp_.deliver(wire_room_result{r.error ? static_cast<std::uint8_t>(*r.error) : std::uint8_t{0},
                                 r.error_message, r.json, r.version});
  }
  void fail(errc code, std::string detail) override {
    answered_ = true;
    rp_.deliver(wire_room_result{static_cast<std::uint8_t>(code), std::move(detail), {}, 0});
  }

private:
  caf::typed_response_promise<wire_room_result> rp_;
  bool answered_ = false;
};

} // namespace

// -- owner ---------------------------------------------------------------------------------------

void to_relays(room_ptr self, const wire_room_change& c) {
  for (const auto& [node, relay] : self->state.relays)
    self->send(relay, roomchg_atom::value, c);
}

void on_link(room_ptr self, const wire_room_link& l) {
  auto& st = self->state;
  if (is_relay(st))
    return; // this node's view lags the relay's: it links again after its timeout
  // After an owner change the relays carry the state they mirrored: the most advanced wins.
  if (l.version > st.version) {
    adopt_record(self, l.version, l.state_text, l.metadata_text);
    store_owned(self);
  }
  // The relay's local members as it knows them: new ones join, the ones it no longer has
  // (they left while the owner changed) leave.
  std::set<std::string> listed;
  for (const auto& c : l.members) {
    listed.insert(c.member);
    note_id(st, c.member);
  }
  // Ids below the floor the relay mirrored may have been given by an earlier owner.
  st.next_member = std::max(st.next_member, l.id_floor);
  std::vector<std::uint64_t> gone;
  for (const auto& [n, m] : st.members)
    if (m.node == l.node && !m.session && !listed.count(m.id))
      gone.push_back(n);
  for (auto n : gone)
    drop_member(self, n);
  for (const auto& c : l.members)
    if (!st.by_id.count(c.member))
      add_member(self, from_join(c));
  // The relay gets the snapshot before any change after it: it joins the relays only now.
  if (auto old = st.relays.find(l.node); old != st.relays.end() && old->second != l.relay)
    self->demonitor(old->second.address());
  st.relays[l.node] = l.relay;
  self->monitor(l.relay);
  wire_room_snapshot s;
  s.room = st.room;
  s.owner = self;
  for (const auto& [n, m] : st.members)
    s.members.push_back(join_change(n, m));
  s.version = st.version;
  s.state_text = st.state_text;
  s.metadata_text = st.metadata_text;
  s.id_floor = st.id_floor;
  self->send(l.relay, roomsnap_atom::value, std::move(s));
}

void owner_join(room_ptr self, const wire_room_join& j) {
  auto& st = self->state;
  auto r = st.relays.find(j.node);
  if (is_relay(st) || r == st.relays.end())
    return; // not linked here: the relay links again and sends it anew
  wire_room_joined out;
  out.token = j.token;
  if (j.info.size() > st.cfg->rooms_max_info_bytes) {
    out.error = static_cast<std::uint8_t>(errc::info_too_large);
    out.message = "info is over rooms.max_info_bytes ("
                  + std::to_string(st.cfg->rooms_max_info_bytes) + ")";
  } else if (st.members.size() >= st.cfg->rooms_max_members) {
    out.error = static_cast<std::uint8_t>(errc::room_full);
    out.message = "the room has rooms.max_members ("
                  + std::to_string(st.cfg->rooms_max_members) + ") members";
  } else {
    member m;
    m.id = std::to_string(st.next_member);
    m.user = j.user;
    m.info = j.info;
    m.joined_ms = wall_clock_ms();
    m.node = j.node;
    out.member = add_member(self, std::move(m)).id; // its change reaches the relay first
  }
  self->send(r->second, rjoined_atom::value, std::move(out));
}

void refuse_owner_join(room_ptr self, const wire_room_join& j, errc e, const std::string& msg) {
  auto& st = self->state;
  auto r = st.relays.find(j.node);
  if (is_relay(st) || r == st.relays.end())
    return;
  self->send(r->second, rjoined_atom::value,
             wire_room_joined{j.token, {}, static_cast<std::uint8_t>(e), msg});
}

void owner_leave(room_ptr self, const std::string& id) {
  auto& st = self->state;
  if (is_relay(st))
    return;
  auto it = st.by_id.find(id);
  if (it == st.by_id.end() || st.members.at(it->second).session)
    return;
  drop_member(self, it->second);
  check_idle(self);
}

caf::result<wire_room_result> owner_call(room_ptr self, const wire_room_call& c) {
  auto& st = self->state;
  if (is_relay(st))
    return wire_room_result{static_cast<std::uint8_t>(errc::unavailable),
                            "the room's owner moved: try again", {}, 0};
  auto rp = self->make_response_promise<wire_room_result>();
  auto done = std::make_shared<call_done>(rp);
  if (c.kind == 0) {
    room_patch p;
    p.room = st.room;
    p.patch_json = c.json;
    p.version = c.version;
    p.done = done;
    when_ready(self, true,
               {[self, p] {
                  apply_patch(self, nullptr, p);
                  check_idle(self);
                },
                [self, p](errc e, const std::string& msg) { refuse_patch(self, p, e, msg); }});
  } else {
    room_metadata md{st.room, c.json, done};
    when_ready(self, true,
               {[self, md] {
                  apply_metadata(self, md);
                  check_idle(self);
                },
                fail_rest(md)});
  }
  return rp;
}

// -- both ----------------------------------------------------------------------------------------

void owner_moved(room_ptr self, const cluster_actor& owner_node,
                 const std::vector<std::string>& live) {
  auto& st = self->state;
  st.owner_node = owner_node;
  if (owner_node) {
    if (!is_relay(st)) { // another node owns it now: this one mirrors it
      for (const auto& [node, relay] : st.relays)
        self->demonitor(relay.address());
      st.relays.clear();
      st.mode = room_state::role::relay;
    }
    return link(self);
  }
  bool was_relay = is_relay(st);
  st.mode = room_state::role::owner;
  if (st.owner)
    self->demonitor(st.owner.address());
  st.owner = nullptr;
  st.loading = false;
  // Members of nodes that left the cluster leave, once; the others stay and their relays
  // link here and list them.
  std::set<std::string> alive(live.begin(), live.end());
  std::vector<std::uint64_t> gone;
  for (const auto& [n, m] : st.members)
    if (!m.session && !alive.count(m.node))
      gone.push_back(n);
  for (auto n : gone)
    drop_member(self, n);
  if (!was_relay)
    return run_waiting(self);
  // The mirror may lag the record this node keeps as a replica node of room.R (a relay that
  // never got its snapshot mirrors nothing): the more advanced one is the room.
  auto take_over = [self] {
    auto& st = self->state;
    store_owned(self);
    auto waiting = std::move(st.pending_joins);
    st.pending_joins.clear();
    for (auto& [token, pj] : waiting)
      if (!pj.cancelled) {
        room_join j{st.room, pj.session, pj.user, pj.info};
        with_member_id(self, {[self, j] { join(self, j); },
                              [self, j](errc e, const std::string& msg) {
                                refuse_join(self, j, e, msg);
                              }});
      }
    run_waiting(self);
  };
  if (!st.store) {
    take_record(self, st.kept);
    return take_over();
  }
  load_record(self, [self, take_over](const store_room& r) {
    take_record(self, r);
    take_over();
  });
}

bool peer_down(room_ptr self, const caf::actor_addr& who) {
  auto& st = self->state;
  if (is_relay(st)) {
    if (!st.owner || st.owner.address() != who)
      return false;
    spdlog::info("room {}: its owner room is gone, linking again", st.room);
    link(self);
    return true;
  }
  auto it = std::find_if(st.relays.begin(), st.relays.end(),
                         [&](const auto& r) { return r.second.address() == who; });
  if (it == st.relays.end())
    return false;
  // The node is gone (or its relay retired with no member): each of its members leaves once.
  auto node = it->first;
  st.relays.erase(it);
  std::vector<std::uint64_t> gone;
  for (const auto& [n, m] : st.members)
    if (!m.session && m.node == node)
      gone.push_back(n);
  for (auto n : gone)
    drop_member(self, n);
  check_idle(self);
  return true;
}

} // namespace sy::room_impl
