#pragma once
// The SnackBase dialect: GET /api/v1/realtime/ws, ingestion POST
// /api/v1/collections/{collection}/events. A collection "posts" is the postgres change stream
// "postgres:posts" of the SnackBase workspace (snackbase.workspace), so the same events reach
// gateway and Fabric subscribers too. Pure; PROTOCOL.md "SnackBase" has every frame.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/dialects/descriptor.hpp"
#include "schema/event.hpp"

namespace sy::snackbase {

/// The registry's entry (descriptor.cpp).
extern const dialect_descriptor descriptor;

// -- names and codec (codec.cpp) ------------------------------------------------------------------

/// Collection names: 1-128 characters of [A-Za-z0-9_-].
bool valid_collection(std::string_view name);

/// "create" <-> "INSERT", "update" <-> "UPDATE", "delete" <-> "DELETE".
std::optional<std::string_view> stored_operation(std::string_view snackbase_op);
/// The SnackBase name of a stored operation (other operations: lower case).
std::string snackbase_operation(std::string_view stored_op);

client_command decode(std::string_view text);

/// "posts" -> "ws.<workspace>.postgres:posts"; other names: invalid_topic.
topic_mapping map_topic(std::string_view topic, std::string_view workspace);

std::string encode_subscribed(std::string_view collection);
std::string encode_unsubscribed(std::string_view collection);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view collection = {});
std::string encode_pong();
std::string encode_heartbeat(std::int64_t wall_ms);

/// The close policy: every refusal is an error frame; the connection stays open.
dialect_reply reply_error(std::string_view code, std::string_view message,
                          std::string_view collection);

// -- live frame (live.cpp) ------------------------------------------------------------------------

/// The data event for an event of a workspace channel "postgres:<collection>"; nullopt for any
/// other channel (and for data that is not JSON).
std::optional<std::string> encode_live(live_input& in);

// -- ingestion (ingest.cpp) -----------------------------------------------------------------------

/// POST /api/v1/collections/{collection}/events: {"operation":"create","data":{...}} becomes
/// the postgres change {"operation":"INSERT","table":<collection>,"record":{...}} (deletes:
/// "record":null,"oldRecord":{...}).
struct ingest {
  std::string type; // stored operation
  std::string data_json;
  std::string correlation_id;
  std::string idempotency_key;
};
struct ingest_error {
  errc code = errc::bad_request;
  std::string message;
};
std::variant<ingest, ingest_error> parse_ingest(std::string_view collection,
                                                const boost::json::object& body);

/// The REST route of the registry's entry.
extern const ingest_route ingestion;

} // namespace sy::snackbase
