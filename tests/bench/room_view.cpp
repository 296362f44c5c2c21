#include "room_view.hpp"

#include <algorithm>

namespace sy::bench {

namespace {

// A scanner for the server's frames, just enough to walk objects and arrays and skip values:
// sy_loadgen stays free of JSON libraries (see CMakeLists.txt), and a `joined` frame of 2,000
// members is read 2,000 times per run, so no DOM is built.
struct scan {
  const char* p;
  const char* end;

  void blanks() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }
  bool eat(char c) {
    blanks();
    if (p < end && *p == c) {
      ++p;
      return true;
    }
    return false;
  }
  // The raw text between the quotes (escapes left as they are: ids have none).
  bool string(std::string_view& out) {
    blanks();
    if (p >= end || *p != '"') return false;
    const char* s = ++p;
    while (p < end && *p != '"') p += *p == '\\' ? 2 : 1;
    if (p >= end) return false;
    out = std::string_view(s, static_cast<std::size_t>(p - s));
    ++p;
    return true;
  }
  bool skip(int depth = 0) {
    blanks();
    if (p >= end || depth > 64) return false;
    if (*p == '"') {
      std::string_view s;
      return string(s);
    }
    if (*p == '{') return object([&](std::string_view) { return skip(depth + 1); });
    if (*p == '[') return array([&] { return skip(depth + 1); });
    const char* s = p;  // number, true, false, null
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ') ++p;
    return p > s;
  }
  // f(key) is called with the scanner at the value and must consume it.
  template <class F> bool object(F&& f) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    do {
      std::string_view key;
      if (!string(key) || !eat(':') || !f(key)) return false;
    } while (eat(','));
    return eat('}');
  }
  template <class F> bool array(F&& f) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!f()) return false;
    } while (eat(','));
    return eat(']');
  }
  // An array of {"member":"<id>",...}: on_id(id) for each, in order.
  template <class F> bool member_objects(F&& on_id) {
    return array([&] {
      bool found = false;
      bool ok = object([&](std::string_view key) {
        if (key != "member") return skip();
        std::string_view id;
        if (!string(id)) return false;
        on_id(id);
        found = true;
        return true;
      });
      return ok && found;
    });
  }
};

} // namespace

uint32_t member_ids::intern(std::string_view id) {
  auto [it, added] = index_.try_emplace(std::string(id), static_cast<uint32_t>(names_.size()));
  if (added) names_.emplace_back(id);
  return it->second;
}

void room_view::join(uint32_t id) {
  if (id >= present.size()) present.resize(std::max<std::size_t>(id + 1, present.size() * 2), 0);
  if (present[id]) {
    ++duplicate_joins;
    return;
  }
  present[id] = 1;
  order.push_back(id);
}

void room_view::leave(uint32_t id) {
  if (id >= present.size() || !present[id]) {
    ++unknown_leaves;
    return;
  }
  present[id] = 0;
  order.erase(std::find(order.begin(), order.end(), id));  // rare: no leaves in a join storm
}

bool apply_joined(std::string_view frame, member_ids& ids, room_view& v, uint32_t& self) {
  scan s{frame.data(), frame.data() + frame.size()};
  bool have_self = false, have_members = false;
  bool ok = s.object([&](std::string_view key) {
    if (key == "member") {
      std::string_view id;
      if (!s.string(id)) return false;
      self = ids.intern(id);
      return have_self = true;
    }
    if (key == "members") {
      have_members = true;
      return s.member_objects([&](std::string_view id) { v.join(ids.intern(id)); });
    }
    return s.skip();
  });
  return ok && have_self && have_members;
}

bool apply_presence(std::string_view frame, member_ids& ids, room_view& v, uint64_t& joins,
                    uint64_t& leaves) {
  scan s{frame.data(), frame.data() + frame.size()};
  std::vector<uint32_t> left;
  bool ok = s.object([&](std::string_view key) {
    if (key == "joins") {
      return s.member_objects([&](std::string_view id) {
        v.join(ids.intern(id));
        ++joins;
      });
    }
    if (key == "leaves") {
      return s.array([&] {
        std::string_view id;
        if (!s.string(id)) return false;
        left.push_back(ids.intern(id));
        return true;
      });
    }
    return s.skip();
  });
  for (uint32_t id : left) v.leave(id);
  leaves += left.size();
  return ok;
}

} // namespace sy::bench
