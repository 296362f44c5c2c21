// The filter language: compiles a subscribe's `filter` spec (FILTERS.md) into an event_filter,
// within the limits of filter_limits. Runs once per subscribe, never per event.
#include "schema/filter.hpp"

#include <algorithm>
#include <utility>

#include "schema/filter_values.hpp"
#include "schema/json_text.hpp"

namespace sy {

namespace json = boost::json;
using filter_detail::ascii_upper;
using filter_detail::canonical;
using filter_detail::is_number;

namespace {

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

} // namespace sy
