#include "room_view.hpp"

#include <algorithm>
#include <cstring>

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
  // The raw text between the quotes (escapes left as they are: ids have none). memchr: strings
  // are most of the 350 MB a 2,000-member storm delivers, and the client shares the cores.
  bool string(std::string_view& out) {
    blanks();
    if (p >= end || *p != '"') return false;
    const char* s = ++p;
    for (;;) {
      auto* q = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
      if (!q) return false;
      const char* b = q;
      while (b > s && b[-1] == '\\') --b;
      p = q + 1;
      if ((q - b) % 2 == 0) break;  // not escaped: an even run of backslashes before it
    }
    out = std::string_view(s, static_cast<std::size_t>(p - 1 - s));
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
  // Ids are decimal numbers counted from 1 in a fresh room: index them without hashing.
  if (!id.empty() && id.size() <= 7 && id[0] != '0' &&
      std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::size_t v = 0;
    for (char c : id) v = v * 10 + static_cast<std::size_t>(c - '0');
    if (v >= by_number_.size()) by_number_.resize(std::max(v + 1, by_number_.size() * 2), no_id);
    if (by_number_[v] == no_id) {
      by_number_[v] = static_cast<uint32_t>(names_.size());
      names_.emplace_back(id);
    }
    return by_number_[v];
  }
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
