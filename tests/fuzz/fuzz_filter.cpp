// Filter compile and match (schema/filter_compile.cpp, schema/filter_eval.cpp, FILTERS.md).
//
// Input: a JSON array [spec, data, metadata]: the filter spec, the event's data and its
// metadata object (both optional). Invariants beyond "no crash":
// - a spec with its object members in reverse order (outside scope values, which compare as
//   text) compiles the same way, to the same key, and matches the same events: subscribers are
//   grouped by key, so equal keys must mean equal filters;
// - a compiled filter respects the limits it was compiled with;
// - without data, only a filter that never looks at data can match.
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fuzz_check.hpp"
#include "schema/filter.hpp"
#include "schema/json_text.hpp"

namespace {

namespace json = boost::json;

json::value reversed(const json::value& v) {
  if (v.is_array()) {
    json::array out;
    for (const auto& e : v.get_array())
      out.push_back(reversed(e));
    return out;
  }
  if (!v.is_object())
    return v;
  const auto& o = v.get_object();
  json::object out;
  for (auto it = o.end(); it != o.begin();) {
    --it;
    out[it->key()] = reversed(it->value());
  }
  return out;
}

json::object reversed_spec(const json::object& spec) {
  json::object out;
  for (auto it = spec.end(); it != spec.begin();) {
    --it;
    if (it->key() == "scopes" && it->value().is_object()) {
      json::object scopes; // member order only; the values are compared as their text
      const auto& s = it->value().get_object();
      for (auto jt = s.end(); jt != s.begin();) {
        --jt;
        scopes[jt->key()] = jt->value();
      }
      out[it->key()] = std::move(scopes);
    } else {
      out[it->key()] = reversed(it->value());
    }
  }
  return out;
}

void check_limits(const sy::event_filter& f, const sy::filter_limits& lim) {
  FUZZ_CHECK(f.operations.size() <= lim.max_operations);
  FUZZ_CHECK(f.predicates.size() <= lim.max_predicates);
  for (std::size_t i = 0; i < f.predicates.size(); ++i) {
    const auto& p = f.predicates[i];
    FUZZ_CHECK(!p.segments.empty() && p.segments.size() <= lim.max_path_depth);
    if (p.operand.is_array() && (p.op == sy::filter_op::in || p.op == sy::filter_op::nin))
      FUZZ_CHECK(p.operand.get_array().size() <= lim.max_in_values);
    FUZZ_CHECK(p.same_path_as_previous == (i > 0 && f.predicates[i - 1].path == p.path));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto input = json::parse(sy::fuzz::as_text(data, size), ec);
  if (ec || !input.is_array() || input.get_array().empty() || !input.get_array()[0].is_object())
    return 0;
  const auto& parts = input.get_array();
  const auto& spec = parts[0].get_object();
  // Stored event data never holds a non-finite number (the REST routes refuse one).
  const json::value* event_data =
    parts.size() > 1 && sy::finite_numbers(parts[1]) ? &parts[1] : nullptr;
  sy::metadata_index metadata;
  if (parts.size() > 2 && parts[2].is_object())
    for (const auto& kv : parts[2].get_object())
      metadata.emplace_back(std::string(kv.key()), sy::scalar_text(kv.value()));

  sy::filter_limits lim; // the defaults
  auto a = sy::compile_filter(spec, lim);
  auto b = sy::compile_filter(reversed_spec(spec), lim);
  auto* fa = std::get_if<sy::event_filter>(&a);
  auto* fb = std::get_if<sy::event_filter>(&b);
  FUZZ_CHECK(!fa == !fb);
  if (!fa) {
    FUZZ_CHECK(!std::get<sy::filter_error>(a).message.empty());
    return 0;
  }
  check_limits(*fa, lim);
  FUZZ_CHECK(sy::key(*fa) == sy::key(*fb));
  bool hit = sy::matches(*fa, metadata, event_data);
  FUZZ_CHECK(hit == sy::matches(*fb, metadata, event_data));
  if (sy::needs_data(*fa))
    FUZZ_CHECK(!sy::matches(*fa, metadata, nullptr));
  else
    FUZZ_CHECK(hit == sy::matches(*fa, metadata, nullptr));
  return 0;
}
