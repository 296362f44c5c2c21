#pragma once
// The SnackBase dialect as a pure codec. A collection "posts" is the postgres
// change stream "postgres:posts" of the SnackBase workspace (snackbase.workspace), so the same
// events reach gateway and Fabric subscribers too. PROTOCOL.md "SnackBase" has every frame.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "schema/dialect.hpp"
#include "schema/event.hpp"

namespace sy::snackbase {

/// Collection names: 1-128 characters of [A-Za-z0-9_-].
bool valid_collection(std::string_view name);

/// "create" <-> "INSERT", "update" <-> "UPDATE", "delete" <-> "DELETE".
std::optional<std::string_view> stored_operation(std::string_view snackbase_op);
/// The SnackBase name of a stored operation (other operations: lower case).
std::string snackbase_operation(std::string_view stored_op);

client_command decode(std::string_view text);

/// The data event for an event of the workspace channel "postgres:<collection>"; `data` is
/// e.data_json parsed. nullopt for any other channel.
std::optional<std::string> encode_event(const event& e, std::string_view local,
                                        const boost::json::value& data);

std::string encode_subscribed(std::string_view collection);
std::string encode_unsubscribed(std::string_view collection);
std::string encode_error(std::string_view code, std::string_view message,
                         std::string_view collection = {});
std::string encode_pong();
std::string encode_heartbeat(std::int64_t wall_ms);

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
  std::string code;
  std::string message;
};
std::variant<ingest, ingest_error> parse_ingest(std::string_view collection,
                                                const boost::json::object& body);

} // namespace sy::snackbase
