#pragma once
// One actor per room R (spawned on demand by the directory): the members (presence), the
// metadata and the collaborative state with its version. Room R's events are the channel
// room.R, served by the channel actor like any other; this actor owns what a channel has not.
// A join is answered and the member registered in one turn, and every later presence, state or
// metadata frame goes to the member from this actor, so CAF's per-sender order leaves no gap
// between the snapshot and the live frames.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/room.hpp"

namespace sy {

/// `directory` is told (roomidle) when the room holds nothing a fresh room would not.
room_actor spawn_room(caf::actor_system& sys, std::string name, std::shared_ptr<const config> cfg,
                      directory_actor directory = {});

} // namespace sy
