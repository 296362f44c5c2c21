#pragma once
// Server-side event filters (a subscribe's `filter`): metadata scopes, operations, entity
// and predicates on the event's data. Compiled once at subscribe time, evaluated for every event
// before delivery (live, snapshot and resume replay alike). Pure: no I/O, no actors.
// The spec, every operator and the error messages are documented in FILTERS.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/event.hpp"
#include "schema/filter_limits.hpp"
#include "schema/scope_filter.hpp"

namespace sy {

/// The limits compile_filter(spec) applies. Set once at startup from the config, before any
/// I/O thread decodes a frame, and only read afterwards.
const filter_limits& active_filter_limits() noexcept;
void set_filter_limits(const filter_limits& limits) noexcept;

enum class filter_op : std::uint8_t { eq, ne, gt, gte, lt, lte, in, nin, exists };

/// "$eq", "$gt", ...
std::string_view to_string(filter_op op) noexcept;

/// One operator applied to the value at one path.
struct filter_predicate {
  std::string path;                  // as written, e.g. "a.b.c"
  std::vector<std::string> segments; // split once at compile time: {"a","b","c"}
  filter_op op = filter_op::eq;
  /// $eq/$ne: any value; $gt..$lte: number or string; $in/$nin: array (elements sorted by
  /// canonical text, duplicates removed); $exists: bool.
  boost::json::value operand;
  std::string canonical; // canonical text of operand, used by key()
  /// Same segments as the predicate before it (predicates are sorted by path): evaluation
  /// reuses the value resolved for that one instead of walking the path again.
  bool same_path_as_previous = false;
};

struct event_filter {
  scope_filter scopes;                 // metadata equality, unchanged semantics
  std::vector<std::string> operations; // upper-cased, sorted, unique; empty = any operation
  std::string entity;                  // exact table/collection/entity name; empty = any
  std::vector<filter_predicate> predicates; // sorted by (path, op, canonical), unique; all AND-ed
};

using event_filter_ptr = std::shared_ptr<const event_filter>;

struct filter_error {
  std::string message; // names the offending key/operator, e.g. "predicates.price: $gt needs ..."
};

/// Either the compiled filter or why the spec was refused.
using filter_result = std::variant<event_filter, filter_error>;

/// Compiles a spec object with the optional keys `scopes`, `operations`, `entity`, `predicates`
/// (a null value counts as absent). Never throws.
filter_result compile_filter(const boost::json::object& spec);
filter_result compile_filter(const boost::json::object& spec, const filter_limits& limits);

/// Evaluates `f` for one event. `data` is the event's parsed data, or null when it was not
/// parsed / is not JSON: then every data-dependent condition is false (so only a filter for
/// which needs_data() is false can match).
bool matches(const event_filter& f, const metadata_index& metadata,
             const boost::json::value* data) noexcept;

/// True when `f` looks at the event's data (operations, entity or predicates), so the caller
/// parses data only when at least one of its filters needs it.
bool needs_data(const event_filter& f) noexcept;

/// Canonical text: equal filters (whatever the key order, number spelling or $in order of their
/// specs) have equal keys, different filters different keys. A filter without data conditions
/// has the key of its scopes (scope_filter::key()), so such subscribers group as before.
std::string key(const event_filter& f);

} // namespace sy
