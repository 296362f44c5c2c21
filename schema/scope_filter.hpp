#pragma once
// Fabric "scopes": an event passes when its metadata has every scope key with an equal value
// (compared as scalar text, see json_text.hpp). Subscribers with equal filters share one
// evaluation per event: the channel groups them by `key()`.
#include <string>
#include <utility>
#include <vector>

#include "schema/event.hpp"

namespace sy {

struct scope_filter {
  std::vector<std::pair<std::string, std::string>> terms; // sorted by key, keys unique

  bool empty() const noexcept { return terms.empty(); }
  bool matches(const metadata_index& md) const;
  /// Canonical text; equal filters have equal keys.
  std::string key() const;
  /// Sorts and de-duplicates (last value wins) after terms were appended.
  void normalize();
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, scope_filter& x) {
  return f(x.terms);
}

} // namespace sy
