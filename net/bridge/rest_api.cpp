#include "net/bridge/rest_api.hpp"

#include <boost/json.hpp>

#include "net/bridge/rest_impl.hpp"
#include "schema/audit_channels.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/json_text.hpp"

namespace json = boost::json;

namespace sy {

// A refused REST credential (401) or right (403): answered, and recorded as auth.denied
// (never with the credential; the path only, since the query may carry a token).
http_reply rest_api::impl::deny(const http_request& req, errc code, const std::string& message,
                const std::string& sub) const {
  if (audit) {
    json::object data{{"remote", req.remote},
                      {"dialect", "rest"},
                      {"route", req.method + " " + req.target.substr(0, req.target.find('?'))},
                      {"status", http_status(code)},
                      {"reason", message}};
    if (!sub.empty())
      data["sub"] = sub;
    caf::anon_send(audit, audit_atom::value, std::string("auth.denied"), json::serialize(data));
  }
  return error_reply(code, message);
}

// 401 when the credential is missing or wrong; nullopt when authenticated.
std::optional<http_reply> rest_api::impl::authenticate(const http_request& req, principal& who) const {
  auto r = auth->verify_credential(bearer_value(req.authorization));
  if (!r.ok)
    return deny(req, errc::unauthorized, r.error);
  who = std::move(r.who);
  return std::nullopt;
}

std::optional<http_reply> rest_api::impl::parse_body(const http_request& req, json::object& out) const {
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec, out.storage()); // the caller's arena, if it gave one
  if (ec)
    return error_reply(errc::bad_json, "body is not valid JSON: " + ec.message());
  if (!v.is_object())
    return error_reply(errc::bad_request, "body must be a JSON object");
  // Stored as is, 1e400 would reach every subscriber as `Infinity`: not JSON.
  if (!finite_numbers(v))
    return error_reply(errc::bad_json, "body has a number outside the range of a double");
  out = std::move(v.get_object());
  return std::nullopt;
}

// Every publish route: credential (401), publish right for the channel (403), JSON object
// body (400). nullopt when the request may go on.
std::optional<http_reply> rest_api::impl::admit_publish(const http_request& req, const std::string& channel,
                                        json::object& body) const {
  principal who;
  if (auto e = authenticate(req, who))
    return e;
  if (router_only_channel(channel))
    return deny(req, errc::forbidden,
                "log.event, log.audit, console.realtime.* and console.stats carry only the "
                "router's own records",
                who.sub);
  if (!may_publish(who, channel, *cfg))
    return deny(req, errc::forbidden, "token may not publish to this channel", who.sub);
  return parse_body(req, body);
}

void rest_api::impl::route(http_request req, const replier_ptr& reply) {
  auto t = parse_target(req.target);
  if (!t)
    return (*reply)(error_reply(errc::bad_request, "malformed request target"));
  const auto& s = t->segments;
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  auto not_allowed = [&] {
    (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
  };
  // The dialects' paths come from their registry (schema/dialects/registry.cpp).
  for (const dialect_descriptor* d : dialects())
    if (match_path(d->ws_path, s))
      return (*reply)(error_reply(errc::upgrade_required,
                                  "this is a WebSocket endpoint: send an upgrade request"));
  for (const dialect_descriptor* d : dialects()) {
    auto param = d->ingest && d->enabled(*cfg) ? match_path(d->ingest->path, s) : std::nullopt;
    if (!param)
      continue;
    if (auto bad = d->ingest->check_param(*param))
      return (*reply)(error_reply(bad->code, bad->message));
    return post ? dialect_ingest(req, *d->ingest, std::string(*param), reply) : not_allowed();
  }
  if (!s.empty() && s[0] == "admin") // the console (rest_console.cpp)
    return console_route(req, *t, reply);
  if (s.size() == 1 && s[0] == "healthz")
    return get ? (*reply)({200, health_body(), "application/json"}) : not_allowed();
  if (s.size() == 1 && s[0] == "metrics")
    return get ? scrape_metrics(req, reply) : not_allowed();
  if (s.size() == 2 && s[0] == "v1" && s[1] == "cluster")
    return get ? cluster_members(*t, reply) : not_allowed();
  if (s.size() == 2 && s[0] == "v1" && s[1] == "sessions")
    return post ? create_session(req, reply) : not_allowed();
  if (s.size() == 3 && s[0] == "v1" && s[1] == "admin" && s[2] == "backup")
    return post ? backup(req, reply) : not_allowed();
  if (s.size() == 4 && s[0] == "v1" && s[1] == "channels" && s[3] == "events") {
    if (!valid_channel_name(s[2]))
      return (*reply)(error_reply(errc::invalid_channel,
                                  "channel names are 1-200 characters of [A-Za-z0-9._:-]"));
    if (!cfg->known_topic(s[2]))
      return (*reply)(error_reply(errc::channel_unavailable, "no namespace serves this channel"));
    if (post)
      return channel_publish(req, s[2], reply);
    if (get)
      return history(req, *t, s[2], reply);
    return not_allowed();
  }
  if (s.size() == 2 && s[0] == "v1" && s[1] == "sources")
    return sources_route(req, reply);
  // The admin API (rest_admin_api.cpp).
  if (s.size() >= 2 && s[0] == "v1"
      && ((s[1] == "channels" && s.size() <= 3) || (s[1] == "connections" && s.size() <= 3)
          || (s[1] == "users" && s.size() == 4 && s[3] == "disconnect")))
    return admin_route(req, *t, reply);
  if ((s.size() == 3 || s.size() == 4) && s[0] == "v1" && s[1] == "rooms")
    return room_route(req, *t, reply);
  if (s.size() == 3 && s[0] == "feeds" && (s[2] == "events" || s[2] == "control")) {
    std::string channel = "feed_" + s[1];
    if (!valid_channel_name(channel))
      return (*reply)(error_reply(errc::invalid_channel,
                                  "feed ids are characters of [A-Za-z0-9._:-]"));
    if (!cfg->known_topic(channel))
      return (*reply)(error_reply(errc::channel_unavailable, "no namespace serves this channel"));
    if (s[2] == "control")
      return post ? feed_control(req, channel, reply) : not_allowed();
    if (post)
      return feed_event(req, s[1], channel, reply);
    if (get)
      return history(req, *t, channel, reply);
    return not_allowed();
  }
  // The path only: the query may carry a token, and error texts never echo credentials.
  auto path = req.target.substr(0, req.target.find('?'));
  (*reply)(error_reply(errc::not_found, "no route for " + req.method + " " + path));
}

rest_api::rest_api(caf::actor_system& sys, directory_actor directory,
                   std::shared_ptr<const config> cfg, std::shared_ptr<const authenticator> auth,
                   audit_actor audit, cluster_actor cluster, store_actor store,
                   connections_actor connections, sources_actor sources)
  : impl_(new impl{sys, directory, cfg, std::move(auth), std::move(audit), std::move(cluster),
                   std::move(store), std::move(connections), std::move(sources)}) {
}

rest_api::~rest_api() = default;

void rest_api::handle(http_request req, reply_fn reply) {
  impl_->route(std::move(req), std::make_shared<replier>(std::move(reply)));
}


} // namespace sy
