// The gateway's ingestion: POST /workspaces/{id}/events. The body names the channel inside
// the workspace and carries a change (postgres:, mongo:) or a custom event (events:).
#include "schema/dialects/gateway/gateway.hpp"

#include <boost/json/serialize.hpp>

#include "schema/json_text.hpp"

#include "schema/codes.hpp"
#include "schema/dialects/codec_support.hpp"
#include "schema/workspace.hpp"

namespace json = boost::json;

namespace sy::gateway {

using codec::member;
using codec::optional_string;

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::optional<rest_refusal> check_workspace(std::string_view id) {
  if (valid_workspace_id(id))
    return std::nullopt;
  return rest_refusal{errc::invalid_workspace,
                      "workspace ids are 1-64 characters of [A-Za-z0-9_-]"};
}

std::variant<ingest_publish, rest_refusal> publish_of(std::string_view workspace,
                                                      const json::object& body, const config&) {
  auto parsed = parse_ingest(body);
  if (auto* err = std::get_if<ingest_error>(&parsed))
    return rest_refusal{err->code, std::move(err->message)};
  auto& in = std::get<ingest>(parsed);
  return ingest_publish{workspace_channel(workspace, in.channel), std::move(in.type),
                        std::move(in.data_json), std::move(in.correlation_id),
                        std::move(in.idempotency_key), std::move(in.metadata)};
}

} // namespace

std::variant<ingest, ingest_error> parse_ingest(const json::object& body) {
  auto bad = [](std::string message) {
    return ingest_error{errc::bad_request, std::move(message)};
  };
  ingest in;
  auto* ch = member(body, "channel");
  if (!ch || !ch->is_string())
    return bad("\"channel\" must be a string such as \"postgres:products\"");
  in.channel = std::string(ch->get_string());
  if (!valid_channel(in.channel, false))
    return ingest_error{errc::channel_unavailable,
                        "\"channel\" must be postgres:{table}, mongo:{collection} or "
                        "events:{topic}"};
  if (!optional_string(body, "correlationId", in.correlation_id))
    return bad("\"correlationId\" must be a string");
  if (!optional_string(body, "idempotencyKey", in.idempotency_key))
    return bad("\"idempotencyKey\" must be a string");
  if (auto* md = member(body, "metadata"); md && !md->is_null()) {
    if (!md->is_object())
      return bad("\"metadata\" must be an object");
    in.metadata = md->get_object();
  }
  auto fam = family_of(in.channel);
  auto name = std::string_view(in.channel).substr(in.channel.find(':') + 1);
  if (fam == family::events) {
    auto* data = member(body, "data");
    if (!data)
      return bad("\"data\" is required for events: channels");
    if (!optional_string(body, "type", in.type))
      return bad("\"type\" must be a string");
    if (in.type.empty())
      in.type = "event";
    in.data_json = json_text(*data);
    return in;
  }
  // A change event: operation first, then the entity, then the row(s), in PROTOCOL.md order.
  std::string operation;
  if (!optional_string(body, "operation", operation) || operation.empty())
    return bad("\"operation\" must be a non-empty string (INSERT, UPDATE, DELETE)");
  in.type = upper(operation);
  const char* entity_key = fam == family::postgres ? "table" : "collection";
  std::string entity;
  if (!optional_string(body, entity_key, entity))
    return bad(std::string("\"") + entity_key + "\" must be a string");
  if (!entity.empty() && entity != name)
    return bad(std::string("\"") + entity_key + "\" must match the channel (\"" + std::string(name)
               + "\")");
  json::object data;
  data["operation"] = in.type;
  data[entity_key] = name;
  static constexpr std::string_view postgres_rows[] = {"record", "oldRecord", "changedColumns"};
  static constexpr std::string_view mongo_rows[] = {"document", "operationType"};
  const bool pg = fam == family::postgres;
  const std::string_view* rows = pg ? postgres_rows : mongo_rows;
  const std::size_t row_count = pg ? std::size(postgres_rows) : std::size(mongo_rows);
  for (std::size_t i = 0; i < row_count; ++i) {
    std::string_view key = rows[i];
    if (auto* v = member(body, key))
      data[key] = *v;
    else if (key == "record" || key == "document")
      data[key] = nullptr; // always present, as in the documented frames
  }
  if (fam == family::mongo) {
    if (!data.contains("operationType")) {
      std::string lower = in.type;
      for (auto& c : lower)
        if (c >= 'A' && c <= 'Z')
          c = static_cast<char>(c - 'A' + 'a');
      data["operationType"] = lower;
    }
  }
  if (auto* cc = member(body, "changedColumns"); cc && !cc->is_null() && !cc->is_array())
    return bad("\"changedColumns\" must be an array");
  in.data_json = json_text(data);
  return in;
}

const ingest_route ingestion{
  "workspaces/{id}/events",
  check_workspace,
  nullptr, // the body names the channel
  publish_of,
  "token may not publish to this workspace channel",
};

} // namespace sy::gateway
