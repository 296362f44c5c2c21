#pragma once
// The workspace gateway dialect: GET /workspaces/{id}/realtime/connect, channels postgres:,
// mongo: and events: inside a workspace, ingestion POST /workspaces/{id}/events. Pure: client
// text -> client_command, event -> frame text, ingestion body -> what to publish. No I/O, no
// actors; PROTOCOL.md "Workspace gateway" documents every frame.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/dialects/descriptor.hpp"
#include "schema/event.hpp"

namespace sy::gateway {

/// The registry's entry (descriptor.cpp).
extern const dialect_descriptor descriptor;

// -- channels and codec (codec.cpp) ---------------------------------------------------------------

/// The gateway's channel families (postgres, mongo, events).
enum class family : std::uint8_t { none, postgres, mongo, events };

/// The family of a channel inside a workspace ("postgres:products" -> postgres).
family family_of(std::string_view local);

/// "postgres:*" / "postgres:{table}", "mongo:*" / "mongo:{collection}", "events:*" /
/// "events:{topic}"; names are 1-150 characters of [A-Za-z0-9._:-]. Wildcards only when
/// `allow_wildcard`.
bool valid_channel(std::string_view local, bool allow_wildcard);

client_command decode(std::string_view text);

/// A gateway channel of `workspace` -> "ws.<workspace>.<channel>"; others: channel_unavailable.
topic_mapping map_topic(std::string_view topic, std::string_view workspace);

std::string encode_subscribed(std::string_view channel);
std::string encode_unsubscribed(std::string_view channel);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view channel = {});
std::string encode_pong();

/// The close code for refusals this dialect answers by closing (PROTOCOL.md *Gateway close
/// codes*): 4003 scope_denied, 4008 quota_exceeded, 4010 channel_unavailable / invalid_topic.
/// 0: answered with an error frame.
std::uint16_t close_code_for(std::string_view error_code);

/// The close policy: a close where close_code_for has one, else an error frame.
dialect_reply reply_error(std::string_view code, std::string_view message,
                          std::string_view channel);

// -- live frame (live.cpp) ------------------------------------------------------------------------

/// The live frame of an event on a gateway channel of a workspace; nullopt for any other
/// channel (and for data that is not JSON).
std::optional<std::string> encode_live(live_input& in);

// -- ingestion (ingest.cpp) -----------------------------------------------------------------------

/// POST /workspaces/:workspaceId/events, parsed.
struct ingest {
  std::string channel;         // inside the workspace, e.g. "postgres:products"
  std::string type;            // the operation (upper case) or the custom event's type
  std::string data_json;       // the stored data (field order fixed, see PROTOCOL.md)
  std::string correlation_id;
  std::string idempotency_key;
  std::optional<boost::json::object> metadata;
};
struct ingest_error {
  errc code = errc::bad_request; // channel_unavailable (404) for a channel it cannot serve
  std::string message;
};
std::variant<ingest, ingest_error> parse_ingest(const boost::json::object& body);

/// The REST route of the registry's entry.
extern const ingest_route ingestion;

} // namespace sy::gateway
