#pragma once
#include <cstddef>

namespace sy {

// Limits bound the per-event cost of one filter (it runs for every event of the channel, for
// every distinct filter), independently of how large a subscribe frame may be. Config:
// filter.* (FILTERS.md).
struct filter_limits {
  std::size_t max_path_depth = 8;    // segments of one predicate path ("a.b.c" is 3)
  std::size_t max_operand_depth = 8; // nesting inside one operand (`{"$eq":{"a":[1]}}` is 2)
  std::size_t max_predicates = 64;   // operator terms over all paths
  std::size_t max_in_values = 256;   // elements of one $in/$nin array (each compared per event)
  std::size_t max_operations = 16;   // entries of `operations`
};

} // namespace sy
