#include "schema/scope_filter.hpp"

#include <algorithm>

namespace sy {

bool scope_filter::matches(const metadata_index& md) const {
  for (const auto& term : terms) { // no structured binding: clang 14 cannot capture one
    auto it = std::find_if(md.begin(), md.end(),
                           [&](const auto& kv) { return kv.first == term.first; });
    if (it == md.end() || it->second != term.second)
      return false;
  }
  return true;
}

std::string scope_filter::key() const {
  std::string out;
  for (const auto& [k, v] : terms) {
    // Length-prefixed so that no key/value content can collide with another filter's.
    out += std::to_string(k.size());
    out += ':';
    out += k;
    out += std::to_string(v.size());
    out += ':';
    out += v;
  }
  return out;
}

void scope_filter::normalize() {
  std::stable_sort(terms.begin(), terms.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  // keep the last occurrence of each key
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& t : terms) {
    if (!out.empty() && out.back().first == t.first)
      out.back() = std::move(t);
    else
      out.push_back(std::move(t));
  }
  terms = std::move(out);
}

} // namespace sy
