#pragma once
// Room join-storm mode of sy_loadgen (`--room R`, BENCHMARKS.md scenario 8): `--members` Fabric
// connections open first, then join room R spread evenly over `--join-within-ms`. Each keeps
// its own view of the member list (room_view.hpp); the run ends when every view lists every
// member, or at `--deadline-s` after the first join. Reports one JSON line on stdout: time of
// the last join, when each view converged, whether all views are the same list, presence
// frames and bytes received, and the server's CPU (--server-pid) from the first join to the
// convergence of the last view. Exit 0 when every view converged, 3 when not.

#include "options.hpp"

namespace sy::bench {

int run_room_storm(const options& o);

} // namespace sy::bench
