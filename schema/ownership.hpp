#pragma once
// Which node owns a channel: rendezvous (highest-random-weight) hashing over the live members.
// Every node computes the same ranking from the same member list, with no coordination, and a
// member joining or leaving moves only the channels it wins or held. The second-ranked node is
// the first replica, so the node that takes over a dead owner's channels is the one holding
// their replicated history.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sy {

/// A stable 64-bit score of (node, channel): FNV-1a then a splitmix64 finalizer. Not
/// std::hash: every node must agree, whatever its build.
std::uint64_t rendezvous_score(std::string_view node_id, std::string_view channel) noexcept;

/// Indexes into `node_ids`, best first (ties broken by node id).
std::vector<std::size_t> rank_nodes(const std::vector<std::string>& node_ids,
                                    std::string_view channel);

} // namespace sy
