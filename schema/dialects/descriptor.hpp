#pragma once
// A dialect as one record: its codec, its live-frame encoder, its WebSocket endpoint and
// options, its limits, keep-alive and REST ingestion. Each folder under schema/dialects/ defines
// one descriptor; registry.cpp lists them in one table that encode_event, the upgrade routing
// (net/bridge/app.cpp) and the REST routing (net/bridge/rest_api.cpp) read. Everything here is pure: no I/O,
// no actor calls. Adding a dialect: schema/dialects/README.md.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/dialects/codec.hpp"
#include "schema/dialects/id.hpp"
#include "schema/errc.hpp"
#include "schema/event.hpp"
#include "schema/workspace.hpp"

namespace sy {

struct config;

// -- live frames ----------------------------------------------------------------------------------

/// What a live-frame encoder reads. Built once per event by encode_event and shared by every
/// dialect's encoder, so the event's data is parsed at most once, and only if a dialect asks.
class live_input {
public:
  /// `members`: the REST object of the event without its braces (the Fabric frame copies it).
  live_input(const event& e, std::string_view id, std::string_view members);

  const event& ev() const noexcept {
    return ev_;
  }
  /// The event's cursor.
  std::string_view id() const noexcept {
    return id_;
  }
  std::string_view members() const noexcept {
    return members_;
  }
  /// The channel split into workspace and local name; nullopt outside workspaces.
  const std::optional<workspace_name>& workspace() const noexcept {
    return workspace_;
  }
  /// The event's data_json parsed (on first use); null when it is not JSON.
  const boost::json::value* data();

private:
  const event& ev_;
  std::string_view id_;
  std::string_view members_;
  std::optional<workspace_name> workspace_;
  boost::json::value data_;
  bool parsed_ = false;
  bool data_ok_ = false;
};

// -- REST ingestion -------------------------------------------------------------------------------

/// A refused REST request: its status and the {"error":{code,message}} body.
struct rest_refusal {
  errc code = errc::bad_request; // its HTTP status and wire code come from the errc table
  std::string message;
};

/// What an ingestion route publishes.
struct ingest_publish {
  std::string channel; // the Switchyard channel
  std::string type;
  std::string data_json;
  std::string correlation_id;
  std::string idempotency_key;
  std::optional<boost::json::object> metadata;
};

/// A dialect's REST ingestion route (POST only; other methods: 405). The credential (401), the
/// body as a JSON object (400) and the publish right (403) are checked by the REST routing.
struct ingest_route {
  /// The path template (see match_path), e.g. "workspaces/{id}/events".
  std::string_view path;
  /// A path parameter the route refuses before anything else (400); nullopt: fine.
  std::optional<rest_refusal> (*check_param)(std::string_view param);
  /// The channel when the path names it: the publish right is then checked before the body is
  /// read. Null when the body names the channel (the right is checked after parsing it).
  std::string (*path_channel)(std::string_view param, const config& cfg);
  /// The body, mapped to what is published; or its refusal.
  std::variant<ingest_publish, rest_refusal> (*parse)(std::string_view param,
                                                      const boost::json::object& body,
                                                      const config& cfg);
  /// The 403 message when the token may not publish to the channel the body names.
  std::string_view forbidden;
};

// -- the descriptor -------------------------------------------------------------------------------

/// How an idle connection of the dialect stays inside realtime.idle_timeout_ms.
enum class keep_alive_policy : std::uint8_t {
  client_ping, // the client sends the dialect's ping frame while it listens
  ws_ping,     // the client sends nothing while it listens: a WebSocket ping each heartbeat
};

struct dialect_descriptor {
  dialect id;       // its index in the registry
  const char* name; // in session logs and audit records ("dialect")
  const dialect_codec* codec;
  /// The live frame of an event, encoded once per event; nullopt where the dialect has no
  /// shape for the event's channel.
  std::optional<std::string> (*live)(live_input& in);

  // -- WebSocket endpoint --
  /// The path template of the upgrade (see match_path). A plain request there gets 426.
  std::string_view ws_path;
  /// Off: the endpoint and the ingestion route answer 404.
  bool (*enabled)(const config& cfg);
  /// The session's workspace for an upgrade with path parameter `param` ("" where the dialect
  /// has none); nullopt: no endpoint there (404).
  std::optional<std::string> (*workspace)(std::string_view param, const config& cfg);
  /// Subscriptions per connection (above it: quota_exceeded, a close 4008 where it closes).
  std::size_t (*topic_limit)(const config& cfg);

  // -- session policy --
  keep_alive_policy keep_alive;
  /// A renewed token must grant the session's workspace too.
  bool refresh_checks_workspace;

  // -- REST --
  /// Null: the dialect publishes through the core routes (/v1/channels/{channel}/events).
  const ingest_route* ingest;
};

/// Matches URL path segments against a template of '/'-separated literal segments and at most
/// one "{name}" segment, which matches any one segment. Returns that segment's text ("" for a
/// template without one); nullopt when the path does not match, and always for an empty
/// template (a dialect without a WebSocket endpoint).
std::optional<std::string_view> match_path(std::string_view pattern,
                                           const std::vector<std::string>& segments);

} // namespace sy
