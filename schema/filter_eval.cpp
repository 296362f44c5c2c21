// Filter evaluation: runs for every event of a channel, for every distinct filter, on the
// fan-out path. Allocation-free; compiled filters come from schema/filter_compile.cpp.
#include "schema/filter.hpp"

#include <algorithm>
#include <string>

#include "schema/filter_values.hpp"

namespace sy {

namespace json = boost::json;
using filter_detail::ascii_upper;
using filter_detail::compare_numbers;
using filter_detail::is_number;
using filter_detail::json_equal;

namespace {

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
