// Ingestion bodies of the workspace gateway (POST /workspaces/{id}/events) and of SnackBase
// (POST /api/v1/collections/{collection}/events): the body parsed as net/bridge/rest_api.cpp does,
// then gateway::parse_ingest / snackbase::parse_ingest, then the stored event encoded into every
// frame a subscriber can get (schema/event.cpp encode_event). Each frame must be JSON.
//
// Input: one line "gateway <workspace>" or "snackbase <collection>", then the body.
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuzz_check.hpp"
#include "schema/dialects/gateway/gateway.hpp"
#include "schema/dialects/snackbase/snackbase.hpp"
#include "schema/event.hpp"
#include "schema/json_text.hpp"
#include "schema/workspace.hpp"

namespace {

namespace json = boost::json;

json::value parsed(std::string_view text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  FUZZ_CHECK(!ec);
  return v;
}

/// Encodes the event a successful ingestion publishes and checks every frame it gets.
sy::encoded_event check_encoded(std::string channel, std::string type, std::string data_json,
                                std::string correlation_id, std::string idempotency_key,
                                const json::object* metadata) {
  sy::event e;
  e.channel = std::move(channel);
  e.epoch = 0x1a;
  e.seq = 7;
  e.timestamp_ms = 1767225600123; // 2026-01-01T00:00:00.123Z
  e.type = std::move(type);
  e.data_json = std::move(data_json);
  e.metadata_json = metadata ? json::serialize(*metadata) : "{}";
  if (metadata)
    for (const auto& kv : *metadata)
      e.metadata.emplace_back(std::string(kv.key()), sy::scalar_text(kv.value()));
  e.correlation_id = std::move(correlation_id);
  e.idempotency_key = std::move(idempotency_key);
  auto data = parsed(e.data_json);
  auto out = sy::encode_event(e);
  auto rest = parsed(out.rest_json);
  FUZZ_CHECK(rest.is_object());
  FUZZ_CHECK(rest.as_object().at("data") == data);
  FUZZ_CHECK(rest.as_object().at("type") == json::value(e.type));
  FUZZ_CHECK(out.fabric_live() && parsed(*out.fabric_live()).is_object());
  for (auto d : {sy::dialect::gateway, sy::dialect::snackbase})
    if (const auto& f = out.frame(d))
      FUZZ_CHECK(parsed(*f).is_object());
  return out;
}

void gateway_ingest(std::string_view workspace, const json::object& body) {
  auto result = sy::gateway::parse_ingest(body);
  if (auto* err = std::get_if<sy::gateway::ingest_error>(&result)) {
    FUZZ_CHECK(err->code == sy::errc::bad_request || err->code == sy::errc::channel_unavailable);
    FUZZ_CHECK(!err->message.empty());
    return;
  }
  auto& in = std::get<sy::gateway::ingest>(result);
  FUZZ_CHECK(sy::gateway::valid_channel(in.channel, false));
  FUZZ_CHECK(!in.type.empty());
  auto fam = sy::gateway::family_of(in.channel);
  auto data = parsed(in.data_json);
  if (fam != sy::gateway::family::events) {
    // A change event: operation and entity first, as the gateway's frames show them.
    FUZZ_CHECK(data.is_object());
    const auto& o = data.get_object();
    FUZZ_CHECK(o.at("operation") == json::value(in.type));
    auto name = in.channel.substr(in.channel.find(':') + 1);
    auto entity = fam == sy::gateway::family::postgres ? "table" : "collection";
    FUZZ_CHECK(o.at(entity) == json::value(name));
  }
  auto out = check_encoded(sy::workspace_channel(workspace, in.channel), in.type, in.data_json,
                           in.correlation_id, in.idempotency_key,
                           in.metadata ? &*in.metadata : nullptr);
  // Every gateway channel of a workspace has a gateway frame.
  FUZZ_CHECK(out.frame(sy::dialect::gateway) != nullptr);
}

void snackbase_ingest(std::string_view collection, const json::object& body) {
  auto result = sy::snackbase::parse_ingest(collection, body);
  if (auto* err = std::get_if<sy::snackbase::ingest_error>(&result)) {
    FUZZ_CHECK(err->code == sy::errc::bad_request && !err->message.empty());
    return;
  }
  auto& in = std::get<sy::snackbase::ingest>(result);
  FUZZ_CHECK(in.type == "INSERT" || in.type == "UPDATE" || in.type == "DELETE");
  auto data = parsed(in.data_json);
  FUZZ_CHECK(data.is_object());
  FUZZ_CHECK(data.get_object().at("table") == json::value(collection));
  auto out = check_encoded(sy::workspace_channel("default", "postgres:" + std::string(collection)),
                           in.type, in.data_json, in.correlation_id, in.idempotency_key, nullptr);
  const auto& frame = out.frame(sy::dialect::snackbase);
  FUZZ_CHECK(frame != nullptr);
  auto type = std::string(collection) + "." + sy::snackbase::snackbase_operation(in.type);
  FUZZ_CHECK(parsed(*frame).as_object().at("type") == json::value(type));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = sy::fuzz::as_text(data, size);
  auto route = sy::fuzz::split_first(text, '\n');
  auto kind = sy::fuzz::split_first(route, ' ');
  // The route checks the path segment before the body is read (net/bridge/rest_api.cpp route()).
  bool gateway = kind == "gateway";
  if (gateway ? !sy::valid_workspace_id(route)
              : kind != "snackbase" || !sy::snackbase::valid_collection(route))
    return 0;
  boost::system::error_code ec;
  auto body = json::parse(text, ec);
  if (ec || !body.is_object() || !sy::finite_numbers(body))
    return 0; // 400 bad_json / bad_request before any ingestion parsing
  if (gateway)
    gateway_ingest(route, body.get_object());
  else
    snackbase_ingest(route, body.get_object());
  return 0;
}
