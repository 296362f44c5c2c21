#pragma once
// Change-data sources (CHANGE-CAPTURE.md): the `sources` actor of each process runs the sources
// this node is placed on (rendezvous on the source id over the live cluster members), one
// detached `source` actor each, which streams a PostgreSQL slot and publishes its row changes.
// Everything here is process-local: GET /v1/sources lists the sources as this node sees them.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "schema/cluster.hpp"
#include "schema/messages.hpp"

namespace sy {

/// One row of GET /v1/sources.
struct source_row {
  std::string id;
  std::string node;  // the node that runs it ("" when not clustered)
  std::string state; // connecting | streaming | retrying | elsewhere | stopped
  std::string error_code;    // the last failure's name ("" when none since streaming began)
  std::string error_message;
  std::int64_t error_at_ms = 0;
  std::uint64_t received_lsn = 0;  // the end of the last transaction received
  std::uint64_t confirmed_lsn = 0; // what PostgreSQL was told is stored (the slot resumes there)
  std::uint64_t server_lsn = 0;    // the server's end of WAL, as last reported
  std::int64_t lag_ms = 0;         // age of the oldest received change not yet confirmed
  std::uint64_t changes = 0;       // changes stored since this process started
  double changes_per_s = 0;        // over the last few seconds
  std::uint64_t in_flight = 0;     // published, not yet stored
  std::uint64_t failures = 0;      // failed attempts since this process started
  std::int64_t retry_in_ms = 0;    // retrying: the next attempt is this far away
  bool lag_alert = false;          // lag bytes over max_lag_bytes
};

using source_rows_completion = std::shared_ptr<completion<std::vector<source_row>>>;

/// REST -> sources: every configured source's row.
struct source_list_request {
  source_rows_completion done;
};

/// One source (actors/source.cpp): detached, so libpq's waits never hold a shared worker.
using source_actor = caf::typed_actor<
  caf::reacts_to<pump_atom>, // self: process what is buffered, read the socket once, report
  // a change's publish completed: (stream generation, ticket, stored?)
  caf::reacts_to<srcack_atom, std::uint64_t, std::uint64_t, bool>,
  caf::replies_to<srcstat_atom>::with<source_row>>;

/// The process's sources (actors/sources.cpp): which run here, and their rows.
using sources_actor = caf::typed_actor<
  caf::reacts_to<view_atom, cluster_view>, // the cluster's live members (from the cluster actor)
  caf::reacts_to<srclist_atom, source_list_request>>;

} // namespace sy

// Process-local: a row and a request never cross nodes.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::source_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::source_list_request)
