// A room with the durable store (storage.engine = rocksdb, DURABILITY.md "Rooms"): it reads its
// record (version, state, metadata) before serving anything, and a patch or a metadata change
// takes effect -- in memory, in the answer, in the frames to members -- only once the store has
// written it. Presence is never stored. Without a store none of this runs.
#include "actors/room_state.hpp"

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

namespace json = boost::json;

namespace sy::room_impl {

namespace {

bool busy(const room_state& st) {
  return st.loading || st.writing;
}

} // namespace

// In arrival order; a patch that starts a write stops the walk until that write is answered,
// so every patch is checked against the version before it.
void run_waiting(room_ptr self) {
  auto& st = self->state;
  while (!st.waiting.empty() && !busy(st)) {
    auto w = std::move(st.waiting.front());
    st.waiting.pop_front();
    w.run();
  }
  check_idle(self);
}

namespace {

// The room cannot know its version: serving would show version 0 and then jump (or let a
// patch overwrite the stored state). Everything is refused until the room retires; the next
// use spawns a room that reads the store again.
void load_failed(room_ptr self, const std::string& why) {
  auto& st = self->state;
  spdlog::error("room {}: cannot load its stored state: {}", st.room, why);
  st.loading = false;
  st.load_failed = true;
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& w : waiting)
    w.refuse(errc::unavailable, "the room's stored state cannot be read");
  check_idle(self);
}

bool parses(const store_room& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.state_json, ec);
  return !r.found || (!ec && v.is_object());
}

std::string error_text(room_ptr self, const caf::error& e) {
  auto t = store_error_text(e);
  return t.empty() ? self->system().render(e) : t;
}

} // namespace

void load_record(room_ptr self, std::function<void(const store_room&)> got) {
  auto& st = self->state;
  st.loading = true;
  self->request(st.store, caf::infinite, st_roomld_atom::value, store_room_load{st.room})
    .then(
      [self, got](const store_room& r) {
        if (!parses(r))
          return load_failed(self, "the stored state is not a JSON object");
        self->state.loading = false;
        got(r);
      },
      [self](const caf::error& e) { load_failed(self, error_text(self, e)); });
}

void start_loading(room_ptr self) {
  load_record(self, [self](const store_room& r) {
    take_record(self, r); // a fresh room: the stored record is the room
    // Records fetched from the replica nodes replace it only when more advanced.
    self->state.synced = true;
    fetch_kept(self, [self] { run_waiting(self); });
  });
}

void when_ready(room_ptr self, bool mutating, room_state::waiting_work w) {
  auto& st = self->state;
  if (st.load_failed)
    return w.refuse(errc::unavailable, "the room's stored state cannot be read");
  // A join or read during a write sees the version before it, then gets the write's frame.
  if (st.loading || (mutating && (st.writing || !st.waiting.empty())))
    return st.waiting.push_back(std::move(w));
  w.run();
}

void persist(room_ptr self, store_room record, std::function<void()> written,
             std::function<void(const std::string&)> failed) {
  auto& st = self->state;
  st.writing = true;
  self->request(st.store, caf::infinite, st_room_atom::value,
                store_room_write{st.room, std::move(record)})
    .then(
      [self, written](const store_written&) {
        self->state.writing = false;
        written();
        run_waiting(self);
      },
      [self, failed](const caf::error& e) {
        auto why = error_text(self, e);
        spdlog::warn("room {}: a change was refused, the store could not write it: {}",
                     self->state.room, why);
        self->state.writing = false;
        failed(why);
        run_waiting(self);
      });
}

} // namespace sy::room_impl
