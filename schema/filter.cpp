#include "schema/filter.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "schema/json_text.hpp"

namespace sy {

namespace json = boost::json;

namespace {

// -- numbers ----------------------------------------------------------------------------------
// Boost.JSON keeps integers as int64 (or uint64 when too large for int64) and everything else
// as double, so 100 and 100.0 arrive as different kinds. Comparisons are exact across kinds:
// converting an int64 to double would make 2^53+1 equal 2^53.

bool is_number(const json::value& v) noexcept {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

template <class T>
int three_way(T a, T b) noexcept {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_int_double(std::int64_t i, double d) noexcept {
  if (d < -9223372036854775808.0) // below -2^63: every int64 is greater
    return 1;
  if (d >= 9223372036854775808.0) // 2^63 and above
    return -1;
  double t = std::trunc(d); // exact, and in int64 range after the checks above
  auto ti = static_cast<std::int64_t>(t);
  if (i != ti)
    return three_way(i, ti);
  return three_way(0.0, d - t); // d - t is exact: the fractional part decides
}

int compare_uint_double(std::uint64_t u, double d) noexcept {
  if (d < 0)
    return 1;
  if (d >= 18446744073709551616.0) // 2^64
    return -1;
  double t = std::trunc(d);
  auto tu = static_cast<std::uint64_t>(t);
  if (u != tu)
    return three_way(u, tu);
  return three_way(0.0, d - t);
}

int compare_int_uint(std::int64_t i, std::uint64_t u) noexcept {
  if (i < 0)
    return -1;
  return three_way(static_cast<std::uint64_t>(i), u);
}

/// Both must be numbers. JSON has no NaN, so the order is total.
int compare_numbers(const json::value& a, const json::value& b) noexcept {
  switch (a.kind()) {
    case json::kind::int64: {
      auto x = a.get_int64();
      if (b.is_int64()) return three_way(x, b.get_int64());
      if (b.is_uint64()) return compare_int_uint(x, b.get_uint64());
      return compare_int_double(x, b.get_double());
    }
    case json::kind::uint64: {
      auto x = a.get_uint64();
      if (b.is_int64()) return -compare_int_uint(b.get_int64(), x);
      if (b.is_uint64()) return three_way(x, b.get_uint64());
      return compare_uint_double(x, b.get_double());
    }
    default: {
      auto x = a.get_double();
      if (b.is_int64()) return -compare_int_double(b.get_int64(), x);
      if (b.is_uint64()) return -compare_uint_double(b.get_uint64(), x);
      return three_way(x, b.get_double());
    }
  }
}

// -- structural equality ----------------------------------------------------------------------

/// JSON equality with numbers compared by value (1 == 1.0) and objects regardless of key
/// order. Unlike json::value::operator==, which distinguishes int64 1 from double 1.0.
bool json_equal(const json::value& a, const json::value& b) noexcept {
  if (is_number(a))
    return is_number(b) && compare_numbers(a, b) == 0;
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size())
        return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!json_equal(x[i], y[i]))
          return false;
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size())
        return false;
      for (const auto& kv : x) {
        auto it = y.find(kv.key());
        if (it == y.end() || !json_equal(kv.value(), it->value()))
          return false;
      }
      return true;
    }
    default: return false; // numbers handled above
  }
}

// -- canonical text (compile time only) -------------------------------------------------------

void append_canonical_number(std::string& out, const json::value& v) {
  if (v.is_int64()) {
    out += std::to_string(v.get_int64());
    return;
  }
  if (v.is_uint64()) {
    out += std::to_string(v.get_uint64());
    return;
  }
  // Integral doubles print as integers so that 100 and 100.0 (equal filters) share a key.
  double d = v.get_double();
  if (d == std::trunc(d)) {
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      out += std::to_string(static_cast<std::int64_t>(d)); // -0.0 prints as 0
      return;
    }
    if (d >= 0 && d < 18446744073709551616.0) {
      out += std::to_string(static_cast<std::uint64_t>(d));
      return;
    }
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d); // round-trips every double
  out += buf;
}

/// A text equal for json_equal-equal values and different otherwise.
void append_canonical(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: append_canonical_number(out, v); break;
    case json::kind::string: append_json_string(out, v.get_string()); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first)
          out += ',';
        first = false;
        append_canonical(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      std::vector<const json::key_value_pair*> kvs;
      for (const auto& kv : v.get_object())
        kvs.push_back(&kv);
      std::sort(kvs.begin(), kvs.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      bool first = true;
      for (const auto* kv : kvs) {
        if (!first)
          out += ',';
        first = false;
        append_json_string(out, kv->key());
        out += ':';
        append_canonical(out, kv->value());
      }
      out += '}';
      break;
    }
  }
}

std::string canonical(const json::value& v) {
  std::string out;
  append_canonical(out, v);
  return out;
}

/// Nesting of arrays/objects: a scalar is 0, `[1]` is 1, `{"a":[1]}` is 2. Stops counting past
/// `limit` so a hostile operand costs no more than the limit.
std::size_t nesting(const json::value& v, std::size_t limit) {
  if (limit == 0)
    return 0;
  std::size_t deepest = 0;
  if (v.is_array()) {
    for (const auto& e : v.get_array())
      deepest = std::max(deepest, nesting(e, limit - 1));
  } else if (v.is_object()) {
    for (const auto& kv : v.get_object())
      deepest = std::max(deepest, nesting(kv.value(), limit - 1));
  } else {
    return 0;
  }
  return deepest + 1;
}

// -- compiling --------------------------------------------------------------------------------

constexpr std::pair<std::string_view, filter_op> operator_names[] = {
  {"$eq", filter_op::eq},   {"$ne", filter_op::ne},   {"$gt", filter_op::gt},
  {"$gte", filter_op::gte}, {"$lt", filter_op::lt},   {"$lte", filter_op::lte},
  {"$in", filter_op::in},   {"$nin", filter_op::nin}, {"$exists", filter_op::exists},
};

char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string quoted(std::string_view s) {
  return json_quote(s);
}

struct compiler {
  const filter_limits& lim;
  event_filter f;
  std::string error;

  bool fail(std::string msg) {
    error = std::move(msg);
    return false;
  }

  bool scopes(const json::value& v) {
    if (!v.is_object())
      return fail("\"scopes\" must be an object");
    // Same rule as the Fabric subscribe frame's "scopes" (schema/dialects/fabric/codec.cpp).
    for (const auto& kv : v.get_object())
      f.scopes.terms.emplace_back(std::string(kv.key()), scalar_text(kv.value()));
    f.scopes.normalize();
    return true;
  }

  bool operations(const json::value& v) {
    if (!v.is_array())
      return fail("\"operations\" must be an array of strings");
    const auto& arr = v.get_array();
    if (arr.size() > lim.max_operations)
      return fail("\"operations\" has more than " + std::to_string(lim.max_operations)
                  + " entries");
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_string() || arr[i].get_string().empty())
        return fail("\"operations\"[" + std::to_string(i) + "] must be a non-empty string");
      std::string op(arr[i].get_string());
      // Stored upper-cased so evaluation compares case-insensitively without allocating.
      std::transform(op.begin(), op.end(), op.begin(), ascii_upper);
      f.operations.push_back(std::move(op));
    }
    std::sort(f.operations.begin(), f.operations.end());
    f.operations.erase(std::unique(f.operations.begin(), f.operations.end()),
                       f.operations.end());
    return true;
  }

  bool entity(const json::value& v) {
    if (!v.is_string())
      return fail("\"entity\" must be a string");
    f.entity = std::string(v.get_string());
    return true;
  }

  bool split_path(std::string_view path, std::vector<std::string>& segments) {
    if (path.empty())
      return fail("predicates: empty path");
    std::size_t start = 0;
    while (true) {
      auto dot = path.find('.', start);
      auto seg = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (seg.empty())
        return fail("predicate " + quoted(path) + ": empty path segment");
      if (segments.size() == lim.max_path_depth)
        return fail("predicate " + quoted(path) + ": path deeper than "
                    + std::to_string(lim.max_path_depth) + " segments");
      segments.emplace_back(seg);
      if (dot == std::string_view::npos)
        return true;
      start = dot + 1;
    }
  }

  bool add(std::string_view path, const std::vector<std::string>& segments, filter_op op,
           const json::value& operand) {
    auto where = [&] { return "predicate " + quoted(path) + ": " + std::string(to_string(op)); };
    if (f.predicates.size() == lim.max_predicates)
      return fail("more than " + std::to_string(lim.max_predicates) + " predicates");
    if (nesting(operand, lim.max_operand_depth + 1) > lim.max_operand_depth)
      return fail(where() + " operand nested deeper than "
                  + std::to_string(lim.max_operand_depth));
    // 1e400 reads as infinity and 0e400 as NaN; stored event data never holds either (the REST
    // routes refuse them), and NaN has no order to compare by.
    if (!finite_numbers(operand))
      return fail(where() + " operand has a number outside the range of a double");
    filter_predicate p;
    p.path = std::string(path);
    p.segments = segments;
    p.op = op;
    switch (op) {
      case filter_op::eq:
      case filter_op::ne:
        p.operand = operand;
        break;
      case filter_op::gt:
      case filter_op::gte:
      case filter_op::lt:
      case filter_op::lte:
        if (!is_number(operand) && !operand.is_string())
          return fail(where() + " needs a number or a string");
        p.operand = operand;
        break;
      case filter_op::in:
      case filter_op::nin: {
        if (!operand.is_array())
          return fail(where() + " needs an array");
        const auto& arr = operand.get_array();
        if (arr.size() > lim.max_in_values)
          return fail(where() + " has more than " + std::to_string(lim.max_in_values)
                      + " values");
        // Sorted and de-duplicated by canonical text: [1,2] and [2,1.0,1] are one filter.
        std::vector<std::pair<std::string, const json::value*>> items;
        for (const auto& e : arr)
          items.emplace_back(canonical(e), &e);
        std::sort(items.begin(), items.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        items.erase(std::unique(items.begin(), items.end(),
                                [](const auto& a, const auto& b) { return a.first == b.first; }),
                    items.end());
        json::array sorted;
        sorted.reserve(items.size());
        for (const auto& it : items)
          sorted.push_back(*it.second);
        p.operand = std::move(sorted);
        break;
      }
      case filter_op::exists:
        if (!operand.is_bool())
          return fail(where() + " needs true or false");
        p.operand = operand;
        break;
    }
    p.canonical = canonical(p.operand);
    f.predicates.push_back(std::move(p));
    return true;
  }

  bool predicates(const json::value& v) {
    if (!v.is_object())
      return fail("\"predicates\" must be an object");
    for (const auto& kv : v.get_object()) {
      std::string_view path = kv.key();
      std::vector<std::string> segments;
      if (!split_path(path, segments))
        return false;
      const auto& val = kv.value();
      if (!val.is_object()) {
        if (!add(path, segments, filter_op::eq, val)) // a literal means $eq
          return false;
        continue;
      }
      const auto& ops = val.get_object();
      if (ops.empty())
        return fail("predicate " + quoted(path)
                    + ": empty operator object (use {\"$eq\":{}} to match an empty object)");
      std::size_t dollar = 0;
      for (const auto& o : ops)
        dollar += !o.key().empty() && o.key().front() == '$';
      if (dollar == 0) { // an object literal: structural $eq
        if (!add(path, segments, filter_op::eq, val))
          return false;
        continue;
      }
      if (dollar != ops.size())
        return fail("predicate " + quoted(path)
                    + ": mixes operators and field names (use {\"$eq\":{...}} for an object)");
      for (const auto& o : ops) {
        auto name = o.key();
        auto known = std::find_if(std::begin(operator_names), std::end(operator_names),
                                  [&](const auto& n) { return n.first == name; });
        if (known == std::end(operator_names))
          return fail("predicate " + quoted(path) + ": unknown operator " + quoted(name));
        if (!add(path, segments, known->second, o.value()))
          return false;
      }
    }
    auto& ps = f.predicates;
    std::sort(ps.begin(), ps.end(), [](const filter_predicate& a, const filter_predicate& b) {
      if (a.path != b.path)
        return a.path < b.path;
      if (a.op != b.op)
        return a.op < b.op;
      return a.canonical < b.canonical;
    });
    ps.erase(std::unique(ps.begin(), ps.end(),
                         [](const filter_predicate& a, const filter_predicate& b) {
                           return a.path == b.path && a.op == b.op
                                  && a.canonical == b.canonical;
                         }),
             ps.end());
    for (std::size_t i = 1; i < ps.size(); ++i)
      ps[i].same_path_as_previous = ps[i].path == ps[i - 1].path;
    return true;
  }

  bool run(const json::object& spec) {
    // Checked first so a typo ("predicate") is reported even when other keys are also wrong.
    for (const auto& kv : spec) {
      auto k = kv.key();
      if (k != "scopes" && k != "operations" && k != "entity" && k != "predicates")
        return fail("unknown filter key " + quoted(k)
                    + " (expected scopes, operations, entity, predicates)");
    }
    for (const auto& kv : spec) {
      const auto& v = kv.value();
      if (v.is_null()) // absent, as for "scopes":null in the subscribe frame
        continue;
      auto k = kv.key();
      bool ok = k == "scopes"       ? scopes(v)
                : k == "operations" ? operations(v)
                : k == "entity"     ? entity(v)
                                    : predicates(v);
      if (!ok)
        return false;
    }
    return true;
  }
};

// -- evaluating -------------------------------------------------------------------------------

const json::value* field(const json::value& v, std::string_view name) noexcept {
  if (!v.is_object())
    return nullptr;
  const auto& obj = v.get_object();
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &it->value();
}

const json::value* string_field(const json::value& v, std::string_view name) noexcept {
  auto* f = field(v, name);
  return f && f->is_string() ? f : nullptr;
}

/// The object predicates apply to: data.record, else data.document, else data.
const json::value& subject_of(const json::value& data) noexcept {
  if (auto* r = field(data, "record"); r && r->is_object())
    return *r;
  if (auto* d = field(data, "document"); d && d->is_object())
    return *d;
  return data;
}

const json::value* resolve(const json::value& subject,
                           const std::vector<std::string>& segments) noexcept {
  const json::value* cur = &subject;
  for (const auto& seg : segments) {
    cur = field(*cur, seg);
    if (!cur)
      return nullptr;
  }
  return cur;
}

bool iequals_upper(std::string_view s, std::string_view upper) noexcept {
  if (s.size() != upper.size())
    return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (ascii_upper(s[i]) != upper[i])
      return false;
  return true;
}

bool in_array(const json::value& v, const json::value& arr) noexcept {
  for (const auto& e : arr.get_array())
    if (json_equal(v, e))
      return true;
  return false;
}

/// $gt/$gte/$lt/$lte: false unless both are numbers or both are strings.
bool ordered(const json::value& v, const json::value& operand, filter_op op) noexcept {
  int c;
  if (is_number(v) && is_number(operand))
    c = compare_numbers(v, operand);
  else if (v.is_string() && operand.is_string()) // bytewise, i.e. code point order in UTF-8
    c = std::string_view(v.get_string()).compare(std::string_view(operand.get_string()));
  else
    return false;
  switch (op) {
    case filter_op::gt: return c > 0;
    case filter_op::gte: return c >= 0;
    case filter_op::lt: return c < 0;
    default: return c <= 0;
  }
}

/// `v` is the value at the predicate's path, null when the path is missing.
bool test(const filter_predicate& p, const json::value* v) noexcept {
  switch (p.op) {
    case filter_op::eq: return v && json_equal(*v, p.operand);
    case filter_op::ne: return !(v && json_equal(*v, p.operand));
    case filter_op::in: return v && in_array(*v, p.operand);
    case filter_op::nin: return !(v && in_array(*v, p.operand));
    case filter_op::exists: return (v != nullptr) == p.operand.get_bool();
    default: return v && ordered(*v, p.operand, p.op);
  }
}

void append_prefixed(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

} // namespace

std::string_view to_string(filter_op op) noexcept {
  for (const auto& [name, o] : operator_names)
    if (o == op)
      return name;
  return "?";
}

namespace {
filter_limits g_filter_limits; // written once at startup (set_filter_limits), then read-only
} // namespace

const filter_limits& active_filter_limits() noexcept {
  return g_filter_limits;
}

void set_filter_limits(const filter_limits& limits) noexcept {
  g_filter_limits = limits;
}

filter_result compile_filter(const boost::json::object& spec) {
  return compile_filter(spec, g_filter_limits);
}

filter_result compile_filter(const boost::json::object& spec, const filter_limits& limits) {
  compiler c{limits, {}, {}};
  if (!c.run(spec))
    return filter_error{std::move(c.error)};
  return std::move(c.f);
}

bool needs_data(const event_filter& f) noexcept {
  return !f.operations.empty() || !f.entity.empty() || !f.predicates.empty();
}

bool matches(const event_filter& f, const metadata_index& metadata,
             const boost::json::value* data) noexcept {
  if (!f.scopes.empty() && !f.scopes.matches(metadata))
    return false;
  if (!needs_data(f))
    return true;
  if (!data)
    return false;
  if (!f.operations.empty()) {
    auto* op = string_field(*data, "operation");
    if (!op)
      return false;
    std::string_view s = op->get_string();
    if (std::none_of(f.operations.begin(), f.operations.end(),
                     [&](const std::string& o) { return iequals_upper(s, o); }))
      return false;
  }
  if (!f.entity.empty()) {
    auto* e = string_field(*data, "table");
    if (!e)
      e = string_field(*data, "collection");
    if (!e)
      e = string_field(*data, "entity");
    if (!e || e->get_string() != f.entity)
      return false;
  }
  const json::value& subject = subject_of(*data);
  const json::value* v = nullptr;
  for (const auto& p : f.predicates) {
    if (!p.same_path_as_previous)
      v = resolve(subject, p.segments);
    if (!test(p, v))
      return false;
  }
  return true;
}

std::string key(const event_filter& f) {
  std::string scopes = f.scopes.key();
  if (!needs_data(f))
    return scopes; // starts with a digit (or is empty), never with 'F' below
  std::string out = "F";
  append_prefixed(out, scopes);
  out += 'O';
  out += std::to_string(f.operations.size());
  out += ':';
  for (const auto& o : f.operations)
    append_prefixed(out, o);
  out += 'E';
  append_prefixed(out, f.entity);
  out += 'P';
  out += std::to_string(f.predicates.size());
  out += ':';
  for (const auto& p : f.predicates) {
    append_prefixed(out, p.path);
    out += static_cast<char>('a' + static_cast<int>(p.op));
    append_prefixed(out, p.canonical);
  }
  return out;
}

} // namespace sy
