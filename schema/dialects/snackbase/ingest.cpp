// SnackBase ingestion: POST /api/v1/collections/{collection}/events, a record change of the
// collection, stored as the postgres change of the SnackBase workspace's table.
#include "schema/dialects/snackbase/snackbase.hpp"

#include <boost/json/serialize.hpp>

#include "schema/json_text.hpp"

#include "config/config.hpp"
#include "schema/codes.hpp"
#include "schema/dialects/codec_support.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy::snackbase {

using codec::member;
using codec::optional_string;

namespace {

std::optional<rest_refusal> check_collection(std::string_view collection) {
  if (valid_collection(collection))
    return std::nullopt;
  return rest_refusal{errc::invalid_collection,
                      "collection names are 1-128 characters of [A-Za-z0-9_-]"};
}

std::string channel_of(std::string_view collection, const config& cfg) {
  return workspace_channel(cfg.snackbase_workspace, "postgres:" + std::string(collection));
}

std::variant<ingest_publish, rest_refusal> publish_of(std::string_view collection,
                                                      const json::object& body,
                                                      const config& cfg) {
  auto parsed = parse_ingest(collection, body);
  if (auto* err = std::get_if<ingest_error>(&parsed))
    return rest_refusal{err->code, std::move(err->message)};
  auto& in = std::get<ingest>(parsed);
  return ingest_publish{channel_of(collection, cfg), std::move(in.type), std::move(in.data_json),
                        std::move(in.correlation_id), std::move(in.idempotency_key),
                        std::nullopt};
}

} // namespace

std::variant<ingest, ingest_error> parse_ingest(std::string_view collection,
                                                const json::object& body) {
  auto bad = [](std::string message) {
    return ingest_error{errc::bad_request, std::move(message)};
  };
  ingest in;
  auto* op = member(body, "operation");
  auto stored = op && op->is_string() ? stored_operation(op->get_string()) : std::nullopt;
  if (!stored)
    return bad("\"operation\" must be \"create\", \"update\" or \"delete\"");
  in.type = std::string(*stored);
  auto* data = member(body, "data");
  if (!data || !data->is_object())
    return bad("\"data\" must be an object (the record)");
  if (!optional_string(body, "correlationId", in.correlation_id))
    return bad("\"correlationId\" must be a string");
  if (!optional_string(body, "idempotencyKey", in.idempotency_key))
    return bad("\"idempotencyKey\" must be a string");
  json::object change{{"operation", in.type}, {"table", collection}};
  if (in.type == "DELETE") {
    change["record"] = nullptr;
    change["oldRecord"] = *data;
  } else {
    change["record"] = *data;
  }
  in.data_json = json_text(change);
  return in;
}

const ingest_route ingestion{
  "api/v1/collections/{collection}/events",
  check_collection,
  channel_of, // the path names the channel: the publish right is checked before the body
  publish_of,
  "token may not publish to this channel",
};

} // namespace sy::snackbase
