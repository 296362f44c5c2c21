#pragma once
// The admin API's payloads (PROTOCOL.md "Admin API"): pages of channels and connections, and
// closing connections for an operator. The atoms and the interfaces that name them are in
// schema/messages.hpp. Everything here is process-local: completions and session handles never
// cross nodes (a page lists the channels and connections of the node that answers it).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "schema/messages.hpp"

namespace sy {

/// A page request: `limit` rows after `after` (exclusive; empty: from the start), of names
/// starting with `prefix` (channels only).
struct page_query {
  std::string prefix;
  std::string after;
  std::uint32_t limit = 100;
};

/// One channel's numbers as its actor knows them. `answered` false: the channel did not answer
/// within the page's timeout (retired meanwhile, or busy): the numbers are unknown.
struct channel_row {
  std::string name;
  bool answered = false;
  std::uint64_t subscribers = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t retained = 0;
  std::uint64_t epoch = 0;
};

/// A page of channels, or (GET /v1/channels/{c}) one channel and, for room.R with a live room,
/// its members (`members_json` a JSON array; empty: no presence).
struct channel_listing {
  std::vector<channel_row> rows;
  std::string next; // empty: no page follows
  std::string room;
  std::string members_json;
};

using channel_listing_completion = std::shared_ptr<completion<channel_listing>>;

/// REST -> directory: a page of the channels live here (`name` empty), or one channel.
struct channel_list_request {
  page_query query;
  std::string name; // set: GET /v1/channels/{name}; fails not_found when not live here
  channel_listing_completion done;
};

/// A session as the registry keeps it: registered once, when admitted.
struct conn_entry {
  std::uint64_t key = 0; // the session actor's id; `id` is "s" + key (sessionId in the logs)
  std::string id;
  std::string dialect;
  std::string user;    // the token subject
  std::string address; // peer address:port
  std::int64_t connected_at_ms = 0; // wall clock
  session_actor handle;
};

/// One row of GET /v1/connections: the entry and the session's live numbers (`answered` false:
/// the session did not answer within the page's timeout).
struct conn_row {
  conn_entry entry;
  bool answered = false;
  std::uint64_t subscriptions = 0;
  std::uint64_t queued_bytes = 0;
};

struct conn_listing {
  std::vector<conn_row> rows;
  std::string next; // empty: no page follows
};

using conn_listing_completion = std::shared_ptr<completion<conn_listing>>;

struct conn_list_request {
  page_query query;
  conn_listing_completion done;
};

/// How many connections an operator's close reached (initiated: each was sent its close).
struct kick_result {
  std::uint64_t closed = 0;
};

using kick_completion = std::shared_ptr<completion<kick_result>>;

/// DELETE /v1/connections/{id} (`id` set) or POST /v1/users/{sub}/disconnect (`user` set).
/// `admin` and `route` go into the audit record.
struct kick_request {
  std::string id;
  std::string user;
  std::string admin; // the admin token's subject, or "api_key"
  std::string route;
  kick_completion done;
};

/// Held by every session told to close for one request: the last one to let go of it (having
/// started its close, or dropped unhandled by a session that ended meanwhile) answers the
/// request, so the answer leaves only after every close was initiated.
class kick_tally {
public:
  kick_tally(kick_completion done, std::uint64_t closed) : done_(std::move(done)), closed_(closed) {
  }
  kick_tally(const kick_tally&) = delete;
  kick_tally& operator=(const kick_tally&) = delete;
  ~kick_tally() {
    if (done_)
      done_->complete(kick_result{closed_});
  }

private:
  kick_completion done_;
  std::uint64_t closed_;
};

} // namespace sy

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::channel_list_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::conn_entry)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::conn_list_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::kick_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sy::kick_ticket)
