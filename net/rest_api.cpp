#include "net/rest_api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json.hpp>

#include "actors/inline_runner.hpp"
#include "net/auth/token_mint.hpp"
#include "net/http/url.hpp"
#include "schema/audit_channels.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/json_text.hpp"
#include "schema/ownership.hpp"

namespace json = boost::json;

namespace sy {

namespace {

// Status and code from one row of the error table (schema/errc.hpp).
http_reply error_reply(errc e, std::string_view message) {
  return {http_status(e), json_error_body(wire_code(e), message), "application/json"};
}

http_reply render_publish(const publish_result& r) {
  const std::string& body = r.ev->rest_json;
  std::string out;
  out.reserve(body.size() + 20);
  out.append(body, 0, body.size() - 1);
  out += r.duplicate ? ",\"duplicate\":true}" : ",\"duplicate\":false}";
  return {r.duplicate ? 200u : 201u, std::move(out), "application/json"};
}

http_reply render_page(const history_page& p) {
  std::string out = "{\"events\":[";
  bool first = true;
  for (const auto& ev : p.events) {
    if (!first)
      out += ',';
    first = false;
    out += ev->rest_json;
  }
  out += "],\"nextCursor\":";
  if (p.next_cursor.empty())
    out += "null";
  else
    append_json_string(out, p.next_cursor);
  out += p.has_more ? ",\"hasMore\":true" : ",\"hasMore\":false";
  out += p.recovered ? ",\"recovered\":true}" : ",\"recovered\":false}";
  return {200, std::move(out), "application/json"};
}

/// Answers an HTTP request exactly once. The channel completes it directly; if the message is
/// dropped unanswered (the actor is gone), the destructor answers 503.
class replier final : public completion<publish_result>, public completion<history_page> {
public:
  explicit replier(reply_fn fn) : fn_(std::move(fn)) {
  }
  ~replier() override {
    if (fn_)
      fn_(error_reply(errc::unavailable, "the router did not answer"));
  }
  void operator()(http_reply r) {
    if (auto fn = std::move(fn_)) {
      fn_ = nullptr;
      fn(std::move(r));
    }
  }
  void complete(const publish_result& r) override {
    (*this)(render_publish(r));
  }
  void complete(const history_page& p) override {
    (*this)(render_page(p));
  }
  void fail(errc code, std::string detail) override {
    (*this)(error_reply(code, detail));
  }

private:
  reply_fn fn_;
};

using replier_ptr = std::shared_ptr<replier>;

std::string now_iso() {
  return format_timestamp(wall_clock_ms());
}

// Optional string field: absent/null -> "", string -> itself, number -> its text, else error.
bool optional_text(const json::object& o, const char* key, std::string& out) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null())
    return true;
  if (it->value().is_string() || it->value().is_number()) {
    out = scalar_text(it->value());
    return true;
  }
  return false;
}

// A channel pattern ("*", exact, or trailing "*") or, for workspaces, a plain id.
bool valid_grant(std::string_view v, bool plain_id) {
  if (v == "*" && !plain_id)
    return true;
  if (!plain_id && !v.empty() && v.back() == '*')
    v.remove_suffix(1);
  if (v.empty() || v.size() > 200)
    return false;
  for (char c : v)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != ':'
        && c != '-')
      return false;
  return true;
}

void set_metadata(publish_cmd& cmd, const json::object& md) {
  cmd.metadata_json = json::serialize(md);
  cmd.metadata.clear();
  for (const auto& kv : md)
    cmd.metadata.emplace_back(std::string(kv.key()), scalar_text(kv.value()));
}

} // namespace

struct rest_api::impl {
  caf::actor_system& sys;
  directory_actor directory;
  std::shared_ptr<const config> cfg;
  std::shared_ptr<const authenticator> auth;
  audit_actor audit;
  cluster_actor cluster; // null: not clustered

  // -- helpers ------------------------------------------------------------------------------------

  // A refused REST credential (401) or right (403): answered, and recorded as auth.denied
  // (never with the credential; the path only, since the query may carry a token).
  http_reply deny(const http_request& req, errc code, const std::string& message,
                  const std::string& sub = {}) const {
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
  std::optional<http_reply> authenticate(const http_request& req, principal& who) const {
    auto r = auth->verify_credential(bearer_value(req.authorization));
    if (!r.ok)
      return deny(req, errc::unauthorized, r.error);
    who = std::move(r.who);
    return std::nullopt;
  }

  std::optional<http_reply> parse_body(const http_request& req, json::object& out) const {
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
  std::optional<http_reply> admit_publish(const http_request& req, const std::string& channel,
                                          json::object& body) const {
    principal who;
    if (auto e = authenticate(req, who))
      return e;
    if (router_only_channel(channel))
      return deny(req, errc::forbidden,
                  "log.event, log.audit and console.realtime.* carry only the router's own "
                  "records",
                  who.sub);
    if (!may_publish(who, channel, *cfg))
      return deny(req, errc::forbidden, "token may not publish to this channel", who.sub);
    return parse_body(req, body);
  }

  // Publishes parsed in one pass of an I/O loop go to the directory as one message. Each loop
  // has exactly one thread, so a thread_local batch is that loop's batch.
  void publish(const http_request& req, const std::string& channel, publish_cmd cmd,
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

  // -- routes -------------------------------------------------------------------------------------

  void channel_publish(const http_request& req, const std::string& channel,
                       const replier_ptr& reply) {
    // The hottest route parses into a stack arena: the body only lives until `data` is
    // serialized below, and a typical publish then costs no allocation for its JSON tree.
    unsigned char arena[4096];
    json::monotonic_resource mr(arena, sizeof arena);
    json::object body(&mr);
    if (auto e = admit_publish(req, channel, body))
      return (*reply)(std::move(*e));
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
  void feed_event(const http_request& req, const std::string& feed_id,
                  const std::string& channel, const replier_ptr& reply) {
    json::object body;
    if (auto e = admit_publish(req, channel, body))
      return (*reply)(std::move(*e));
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
  void feed_control(const http_request& req, const std::string& channel,
                    const replier_ptr& reply) {
    json::object body;
    if (auto e = admit_publish(req, channel, body))
      return (*reply)(std::move(*e));
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
  void dialect_ingest(const http_request& req, const ingest_route& route,
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

  void history(const http_request& req, const request_target& t, const std::string& channel,
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

  // POST /v1/sessions: mints a HS256 token (auth.jwt_secret) with the requested claims. Only
  // the API key or an admin token may mint; the TTL is capped by auth.max_session_ttl_s.
  void create_session(const http_request& req, const replier_ptr& reply) {
    principal who;
    if (auto e = authenticate(req, who))
      return (*reply)(std::move(*e));
    if (!who.api_key && !who.admin)
      return (*reply)(deny(req, errc::forbidden,
                           "only the API key or an admin token may create sessions", who.sub));
    json::object body;
    if (auto e = parse_body(req, body))
      return (*reply)(std::move(*e));
    auto sub = body.find("sub");
    if (sub == body.end() || !sub->value().is_string() || sub->value().get_string().empty())
      return (*reply)(error_reply(errc::bad_request, "\"sub\" must be a non-empty string"));
    token_grant grant;
    grant.sub = std::string(sub->value().get_string());
    for (const char* key : {"channels", "publish", "workspaces"}) {
      auto it = body.find(key);
      if (it == body.end() || it->value().is_null())
        continue;
      json::array list;
      if (it->value().is_string()) {
        list.push_back(it->value());
      } else if (it->value().is_array()) {
        for (const auto& v : it->value().get_array()) {
          if (!v.is_string())
            return (*reply)(error_reply(errc::bad_request,
                                        std::string("\"") + key + "\" must be strings"));
          list.push_back(v);
        }
      } else {
        return (*reply)(error_reply(errc::bad_request, std::string("\"") + key
                                                          + "\" must be a string array"));
      }
      for (const auto& v : list)
        if (!valid_grant(v.get_string(), std::string_view(key) == "workspaces"))
          return (*reply)(error_reply(errc::bad_request,
                                      std::string("invalid pattern in \"") + key + "\""));
      auto& field = std::string_view(key) == "channels" ? grant.channels
                    : std::string_view(key) == "publish" ? grant.publish
                                                          : grant.workspaces;
      field.emplace();
      for (const auto& v : list)
        field->emplace_back(v.get_string());
    }
    std::int64_t ttl = cfg->token_default_ttl_s;
    if (auto it = body.find("ttl"); it != body.end() && !it->value().is_null()) {
      if (!it->value().is_int64() || it->value().get_int64() < 1)
        return (*reply)(error_reply(errc::bad_request, "\"ttl\" must be a positive integer"));
      ttl = it->value().get_int64();
    }
    ttl = std::min(ttl, cfg->max_session_ttl_s);
    // Our own verifier checks iss/aud when configured, so minted tokens must carry them.
    grant.issuer = cfg->auth_issuer;
    grant.audience = cfg->auth_audience;
    auto minted = mint_token(grant, ttl, cfg->jwt_secret);
    json::object out{{"token", std::move(minted.token)},
                     {"sub", sub->value()},
                     {"expiresAt", format_timestamp(minted.exp_s * 1000)},
                     {"ttl", ttl}};
    (*reply)({201, json::serialize(out), "application/json"});
  }

  // GET /v1/cluster: the members as this node sees them (no credential, like /healthz).
  // With ?channel=NAME the answer also names the channel's owner and replica nodes (the
  // rendezvous ranking over this node's view of the live members).
  void cluster_members(const request_target& t, const replier_ptr& reply) {
    std::string channel = t.param("channel").value_or("");
    if (!cluster) {
      json::object out{{"enabled", false}, {"members", json::array{}}};
      return (*reply)({200, json::serialize(out), "application/json"});
    }
    std::size_t replicas = cfg->cluster_replicas;
    // A one-shot actor asks the cluster actor: the I/O thread never waits.
    auto timeout = std::chrono::milliseconds(cfg->cluster_request_timeout_ms);
    sys.spawn([c = cluster, reply, timeout, channel, replicas](caf::event_based_actor* self) {
      self->request(c, timeout, members_atom::value)
        .then(
          [reply, channel, replicas](const std::vector<member_status>& ms) {
            json::array members;
            std::string self_id;
            std::vector<std::string> live;
            for (const auto& m : ms) {
              if (m.state == "self" || m.state == "up")
                live.push_back(m.info.node_id);
              if (m.state == "self")
                self_id = m.info.node_id;
              // This node is "up" like every reachable member, flagged "self".
              members.push_back(json::object{{"nodeId", m.info.node_id},
                                             {"host", m.info.host},
                                             {"port", m.info.port},
                                             {"state", m.state == "self" ? "up" : m.state},
                                             {"self", m.state == "self"},
                                             {"since", m.since_ms > 0
                                                         ? json::value(format_timestamp(m.since_ms))
                                                         : json::value(nullptr)}});
            }
            json::object out{{"enabled", true}, {"self", self_id}, {"members", std::move(members)}};
            if (!channel.empty()) {
              std::sort(live.begin(), live.end()); // the directory's order
              auto rank = rank_nodes(live, channel);
              json::array reps;
              for (std::size_t i = 1; i <= replicas && i < rank.size(); ++i)
                reps.emplace_back(live[rank[i]]);
              out["channel"] = channel;
              out["owner"] = live[rank.front()];
              out["replicas"] = std::move(reps);
            }
            (*reply)({200, json::serialize(out), "application/json"});
          },
          [reply](const caf::error&) {
            (*reply)(error_reply(errc::unavailable, "the cluster actor did not answer"));
          });
    });
  }

  void route(http_request req, const replier_ptr& reply) {
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
    if (s.size() == 1 && s[0] == "healthz")
      return get ? (*reply)({200, "{\"status\":\"ok\"}", "application/json"}) : not_allowed();
    if (s.size() == 2 && s[0] == "v1" && s[1] == "cluster")
      return get ? cluster_members(*t, reply) : not_allowed();
    if (s.size() == 2 && s[0] == "v1" && s[1] == "sessions")
      return post ? create_session(req, reply) : not_allowed();
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
};

rest_api::rest_api(caf::actor_system& sys, directory_actor directory,
                   std::shared_ptr<const config> cfg, std::shared_ptr<const authenticator> auth,
                   audit_actor audit, cluster_actor cluster)
  : impl_(new impl{sys, directory, cfg, std::move(auth), std::move(audit), std::move(cluster)}) {
}

rest_api::~rest_api() = default;

void rest_api::handle(http_request req, reply_fn reply) {
  impl_->route(std::move(req), std::make_shared<replier>(std::move(reply)));
}


} // namespace sy
