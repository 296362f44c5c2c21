#pragma once
// One change-data source (CHANGE-CAPTURE.md): a detached actor that streams a PostgreSQL
// logical replication slot (net/pg/replication_session.hpp, blocking libpq calls on this
// actor's own thread) and publishes each row change through the directory, in commit order,
// with an idempotency key derived from its LSN. It confirms a position to PostgreSQL only once
// every change before it is stored (actors/source_progress.hpp), so after any crash the slot
// resumes at a stored position and the keys turn what is sent again into duplicates.
#include <cstddef>
#include <string>

#include "config/config.hpp"
#include "schema/source.hpp"

namespace sy {

struct source_args {
  source_config cfg;
  std::size_t index = 0; // in the `sources` setting: its row of metrics/source_gauges.hpp
  directory_actor directory;
  std::string node_id; // "" when not clustered
};

source_actor spawn_source(caf::actor_system& sys, source_args args);

} // namespace sy
