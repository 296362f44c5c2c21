#include "schema/ownership.hpp"

#include <algorithm>
#include <numeric>

namespace sy {

std::uint64_t rendezvous_score(std::string_view node_id, std::string_view channel) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  mix(node_id);
  h ^= 0xff; // separator: ("ab","c") and ("a","bc") must differ
  h *= 1099511628211ULL;
  mix(channel);
  h += 0x9e3779b97f4a7c15ULL;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::vector<std::size_t> rank_nodes(const std::vector<std::string>& node_ids,
                                    std::string_view channel) {
  std::vector<std::size_t> idx(node_ids.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::vector<std::uint64_t> score(node_ids.size());
  for (std::size_t i = 0; i < node_ids.size(); ++i)
    score[i] = rendezvous_score(node_ids[i], channel);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    if (score[a] != score[b])
      return score[a] > score[b];
    return node_ids[a] < node_ids[b];
  });
  return idx;
}

} // namespace sy
