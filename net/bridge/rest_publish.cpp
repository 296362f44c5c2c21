// Publish routes (channels, Layeron feeds, dialect ingestion) and history reads: each checks
// the credential and body, then hands the request to the directory with its replier.
#include <charconv>

#include <boost/json.hpp>

#include "actors/inline_runner.hpp"
#include "net/bridge/rest_impl.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy {

// Publishes parsed in one pass of an I/O loop go to the directory as one message. Each loop
// has exactly one thread, so a thread_local batch is that loop's batch.
void rest_api::impl::publish(const http_request& req, const std::string& channel, publish_cmd cmd,
             const replier_ptr& reply) {
  cmd.channel = channel;
  thread_local publish_items pass_batch;
  if (pass_batch.empty())
    pass_batch.reserve(16); // a pass holds ~10 publishes under load: grow once, not 4 times
  pass_batch.push_back({std::move(cmd), reply});
  if (pass_batch.size() > 1)
    return; // the flush is already scheduled
  auto send = [dir = directory, &sys = sys] {
    publish_request batch;
    batch.items.swap(pass_batch);
    // With the affine scheduler this thread runs the directory and the channel itself
    // (actors/inline_runner.hpp): no worker wake-up, and the replies come back to this loop.
    if (auto* runner = inline_runner::for_this_thread(sys))
      runner->run([&] { caf::anon_send(dir, publish_atom::value, std::move(batch)); });
    else
      caf::anon_send(dir, publish_atom::value, std::move(batch));
  };
  if (req.pass)
    req.pass->defer(std::move(send));
  else
    send();
}

void rest_api::impl::channel_publish(const http_request& req, const std::string& channel,
                     const replier_ptr& reply) {
  // The hottest route parses into a stack arena: the body only lives until `data` is
  // serialized below, and a typical publish then costs no allocation for its JSON tree.
  unsigned char arena[4096];
  json::monotonic_resource mr(arena, sizeof arena);
  json::object body(&mr);
  if (auto e = admit_publish(req, channel, body))
    return (*reply)(std::move(*e));
  reply->count_publish_as(metrics::route::channel);
  auto data = body.find("data");
  if (data == body.end())
    return (*reply)(error_reply(errc::bad_request, "\"data\" is required"));
  publish_cmd cmd;
  cmd.data_json = json::serialize(data->value());
  if (!optional_text(body, "type", cmd.type))
    return (*reply)(error_reply(errc::bad_request, "\"type\" must be a string"));
  if (!optional_text(body, "idempotencyKey", cmd.idempotency_key))
    return (*reply)(error_reply(errc::bad_request, "\"idempotencyKey\" must be a string"));
  if (!optional_text(body, "correlationId", cmd.correlation_id))
    return (*reply)(error_reply(errc::bad_request, "\"correlationId\" must be a string"));
  if (auto md = body.find("metadata"); md != body.end() && !md->value().is_null()) {
    if (!md->value().is_object())
      return (*reply)(error_reply(errc::bad_request, "\"metadata\" must be an object"));
    set_metadata(cmd, md->value().get_object());
  }
  publish(req, channel, std::move(cmd), reply);
}

// Layeron feeds: POST /feeds/:feedId/events
void rest_api::impl::feed_event(const http_request& req, const std::string& feed_id,
                const std::string& channel, const replier_ptr& reply) {
  json::object body;
  if (auto e = admit_publish(req, channel, body))
    return (*reply)(std::move(*e));
  reply->count_publish_as(metrics::route::feed);
  publish_cmd cmd;
  if (!optional_text(body, "type", cmd.type))
    return (*reply)(error_reply(errc::bad_request, "\"type\" must be a string"));
  if (!optional_text(body, "eventId", cmd.idempotency_key))
    return (*reply)(error_reply(errc::bad_request, "\"eventId\" must be a string"));
  json::object data{{"feedId", feed_id}};
  if (auto it = body.find("eventId"); it != body.end() && !it->value().is_null())
    data["eventId"] = it->value();
  if (auto it = body.find("payload"); it != body.end())
    data["payload"] = it->value();
  data["receivedAt"] = now_iso();
  cmd.data_json = json::serialize(data);
  json::object md;
  auto src = body.find("source");
  md["source"] = (src == body.end() || src->value().is_null()) ? json::value("api")
                                                                : src->value();
  set_metadata(cmd, md);
  publish(req, channel, std::move(cmd), reply);
}

// Layeron feeds: POST /feeds/:feedId/control
void rest_api::impl::feed_control(const http_request& req, const std::string& channel,
                  const replier_ptr& reply) {
  json::object body;
  if (auto e = admit_publish(req, channel, body))
    return (*reply)(std::move(*e));
  reply->count_publish_as(metrics::route::feed_control);
  publish_cmd cmd;
  cmd.type = "feed.control";
  if (!optional_text(body, "commandId", cmd.idempotency_key))
    return (*reply)(error_reply(errc::bad_request, "\"commandId\" must be a string"));
  json::object data;
  for (const char* key : {"action", "target"})
    if (auto it = body.find(key); it != body.end())
      data[key] = it->value();
  data["requestedAt"] = now_iso();
  cmd.data_json = json::serialize(data);
  publish(req, channel, std::move(cmd), reply);
}

// A dialect's ingestion route (schema/dialects/): POST /workspaces/{id}/events,
// POST /api/v1/collections/{collection}/events. Where the path names the channel the publish
// right is checked before the body is read; where the body names it, after parsing it.
void rest_api::impl::dialect_ingest(const http_request& req, const ingest_route& route,
                    const std::string& param, const replier_ptr& reply) {
  principal who;
  json::object body;
  const std::string path_channel = route.path_channel ? route.path_channel(param, *cfg) : "";
  if (!path_channel.empty()) {
    if (auto e = admit_publish(req, path_channel, body))
      return (*reply)(std::move(*e));
  } else {
    if (auto e = authenticate(req, who))
      return (*reply)(std::move(*e));
    if (auto e = parse_body(req, body))
      return (*reply)(std::move(*e));
  }
  auto parsed = route.parse(param, body, *cfg);
  if (auto* err = std::get_if<rest_refusal>(&parsed))
    return (*reply)(error_reply(err->code, err->message));
  auto& in = std::get<ingest_publish>(parsed);
  reply->count_publish_as(metrics::route::ingest);
  if (path_channel.empty() && !may_publish(who, in.channel, *cfg))
    return (*reply)(deny(req, errc::forbidden, std::string(route.forbidden), who.sub));
  publish_cmd cmd;
  cmd.type = std::move(in.type);
  cmd.data_json = std::move(in.data_json);
  cmd.correlation_id = std::move(in.correlation_id);
  cmd.idempotency_key = std::move(in.idempotency_key);
  if (in.metadata)
    set_metadata(cmd, *in.metadata);
  publish(req, in.channel, std::move(cmd), reply);
}

void rest_api::impl::history(const http_request& req, const request_target& t, const std::string& channel,
             const replier_ptr& reply) {
  principal who;
  if (auto e = authenticate(req, who))
    return (*reply)(std::move(*e));
  // Reading history shows what a subscriber would see, so it takes the subscribe right.
  if (!may_subscribe(who, channel, *cfg))
    return (*reply)(deny(req, errc::forbidden, "token may not read this channel", who.sub));
  history_query q;
  q.channel = channel;
  q.limit = cfg->history_default_limit;
  if (auto l = t.param("limit")) {
    unsigned long long n = 0;
    auto r = std::from_chars(l->data(), l->data() + l->size(), n);
    if (l->empty() || r.ec != std::errc{} || r.ptr != l->data() + l->size() || n == 0)
      return (*reply)(error_reply(errc::bad_limit, "limit must be a positive integer"));
    q.limit = static_cast<std::uint32_t>(std::min<unsigned long long>(n, cfg->history_max_limit));
  }
  if (auto c = t.param("cursor"); c && !c->empty()) {
    auto parsed = parse_cursor(*c);
    if (!parsed)
      return (*reply)(error_reply(errc::bad_cursor, "cursor is not a Switchyard cursor"));
    q.has_cursor = true;
    q.after = *parsed;
  }
  caf::anon_send(directory, history_atom::value,
                 history_request{std::move(q), reply, request_origin::client});
}

} // namespace sy
