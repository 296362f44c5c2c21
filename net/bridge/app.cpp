#include "net/bridge/app.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "actors/session.hpp"
#include "metrics/hooks.hpp"
#include "net/http/sse_head.hpp"
#include "net/http/url.hpp"
#include "schema/dialects/registry.hpp"

namespace sy {

namespace {

// A session's rights: the verified principal, judged against the config's namespaces.
class principal_auth final : public session_auth {
public:
  principal_auth(principal who, std::shared_ptr<const config> cfg,
                 std::shared_ptr<const authenticator> verifier)
    : who_(std::move(who)), cfg_(std::move(cfg)), verifier_(std::move(verifier)) {
  }

  const std::string& subject() const override {
    return who_.sub;
  }

  bool may_subscribe(std::string_view topic) const override {
    return sy::may_subscribe(who_, topic, *cfg_);
  }

  bool may_publish(std::string_view channel) const override {
    return sy::may_publish(who_, channel, *cfg_);
  }

  bool may_use_workspace(std::string_view workspace) const override {
    return sy::may_use_workspace(who_, workspace);
  }

  std::optional<std::int64_t> expires_at_s() const override {
    return who_.exp;
  }

  std::shared_ptr<const session_auth> refresh(std::string_view token,
                                               std::string& error) const override {
    auto r = verifier_->verify_token(token);
    if (!r.ok) {
      error = r.error;
      return nullptr;
    }
    if (r.who.sub != who_.sub) {
      error = "the new token is for another subject";
      return nullptr;
    }
    return std::make_shared<principal_auth>(std::move(r.who), cfg_, verifier_);
  }

private:
  principal who_;
  std::shared_ptr<const config> cfg_;
  std::shared_ptr<const authenticator> verifier_;
};

// First-message auth (gateway): the same verifier as the upgrade's, answering with a grant.
class grant_verifier final : public token_verifier {
public:
  grant_verifier(std::shared_ptr<const config> cfg, std::shared_ptr<const authenticator> auth)
    : cfg_(std::move(cfg)), auth_(std::move(auth)) {
  }

  auth_outcome verify(std::string_view token) const override {
    auth_outcome out;
    auto r = auth_->verify_token(token);
    if (!r.ok) {
      out.expired = r.expired;
      out.error = r.error;
      return out;
    }
    out.grant = std::make_shared<const principal_auth>(std::move(r.who), cfg_, auth_);
    return out;
  }

private:
  std::shared_ptr<const config> cfg_;
  std::shared_ptr<const authenticator> auth_;
};

// The WebSocket endpoints, from the dialect registry: which dialect a path speaks, and its
// workspace.
struct endpoint {
  const dialect_descriptor* desc = nullptr;
  std::string workspace;
};

std::optional<endpoint> endpoint_for(const request_target& t, const config& cfg) {
  for (const dialect_descriptor* d : dialects()) {
    auto param = match_path(d->ws_path, t.segments);
    if (!param)
      continue;
    if (!d->enabled(cfg))
      return std::nullopt;
    auto workspace = d->workspace(*param, cfg);
    if (!workspace)
      return std::nullopt;
    return endpoint{d, std::move(*workspace)};
  }
  return std::nullopt;
}

// REALTIME_ORIGINS entries are exact origins or one wildcard label: "https://*.example.com"
// allows https://a.example.com and https://a.b.example.com, not https://example.com.
bool origin_allowed(const std::vector<std::string>& allowed, std::string_view origin) {
  for (const auto& a : allowed) {
    auto star = a.find('*');
    if (star == std::string::npos) {
      if (a == origin)
        return true;
      continue;
    }
    std::string_view prefix(a.data(), star), suffix(a.data() + star + 1, a.size() - star - 1);
    if (origin.size() <= prefix.size() + suffix.size())
      continue;
    if (origin.substr(0, prefix.size()) != prefix
        || origin.substr(origin.size() - suffix.size()) != suffix)
      continue;
    auto label = origin.substr(prefix.size(), origin.size() - prefix.size() - suffix.size());
    if (label.find_first_of("/:@ ") == std::string_view::npos)
      return true;
  }
  return false;
}

// Status and code from one row of the error table (schema/errc.hpp).
http_reply refuse(errc e, std::string_view message) {
  metrics::refused(e);
  return {http_status(e), json_error_body(wire_code(e), message), "application/json"};
}

// The error table's row for a codec's error code (bad_request when none has it).
errc errc_for_wire(std::string_view wire) {
  for (std::size_t i = 1; i <= errc_count(); ++i)
    if (wire_code(static_cast<errc>(i)) == wire)
      return static_cast<errc>(i);
  return errc::bad_request;
}

class app final : public app_handler {
public:
  app(caf::actor_system& sys, directory_actor directory, quota_actor quota, audit_actor audit,
      std::shared_ptr<const config> cfg, std::shared_ptr<const authenticator> auth,
      std::shared_ptr<rest_api> rest, connections_actor connections)
    : sys_(sys),
      directory_(std::move(directory)),
      quota_(std::move(quota)),
      audit_(std::move(audit)),
      cfg_(std::move(cfg)),
      auth_(std::move(auth)),
      rest_(std::move(rest)),
      verifier_(std::make_shared<grant_verifier>(cfg_, auth_)),
      connections_(std::move(connections)) {
  }

  void on_http(http_request req, reply_fn reply) override {
    rest_->handle(std::move(req), std::move(reply));
  }

  upgrade_decision on_upgrade(const http_request& req) override {
    upgrade_decision d;
    auto t = parse_target(req.target);
    auto ep = t ? endpoint_for(*t, *cfg_) : std::nullopt;
    if (!ep) {
      d.refusal = refuse(errc::not_found, "no WebSocket endpoint at this path");
      return d;
    }
    if (!cfg_->realtime_enabled) {
      d.refusal = refuse(errc::realtime_disabled, "WebSocket support is disabled");
      return d;
    }
    if (!cfg_->origins.empty() && req.has_origin && !origin_allowed(cfg_->origins, req.origin)) {
      d.refusal = refuse(errc::origin_denied, "Origin is not in REALTIME_ORIGINS");
      return d;
    }
    const dialect_descriptor& desc = *ep->desc;
    d.wire = desc.id;
    std::string token = t->param("token").value_or("");
    if (token.empty())
      token = std::string(bearer_value(req.authorization));
    boost::json::object audit{{"remote", req.remote}, {"origin", req.origin},
                              {"dialect", desc.name}};
    if (!ep->workspace.empty())
      audit["workspace"] = ep->workspace;
    client_info client;
    client.remote = req.remote;
    client.remote_ip = req.remote_ip;
    client.origin = req.origin;
    client.user_agent = req.user_agent;
    const bool first_message = desc.codec->first_message_auth;
    if (!token.empty() || !first_message) {
      auto r = auth_->verify_token(token);
      if (!r.ok) {
        audit["reason"] = r.error; // fixed texts: never the token
        caf::anon_send(audit_, audit_atom::value, std::string("auth.denied"),
                       boost::json::serialize(audit));
        if (!first_message) {
          d.refusal = refuse(errc::unauthorized, r.error);
          return d;
        }
        // The gateway answers with its close codes (4001 / 4003) after the upgrade, so that
        // a gateway client's reconnect loop sees them.
        client.auth_error = r.error;
        client.auth_expired = r.expired;
      } else {
        audit["sub"] = r.who.sub;
        // The gateway closes a token without its workspace (4003 scope_denied, in the session):
        // that is a refusal, and the audit trail says so.
        const bool refused = first_message && !may_use_workspace(r.who, ep->workspace);
        if (refused)
          audit["reason"] = "workspace not granted";
        caf::anon_send(audit_, audit_atom::value,
                       std::string(refused ? "auth.denied" : "auth.granted"),
                       boost::json::serialize(audit));
        client.sub = r.who.sub;
        // The principal travels with the session so subscribe can be checked with
        // may_subscribe and the session can close at `exp` (4001 token_expired).
        client.auth = std::make_shared<const principal_auth>(std::move(r.who), cfg_, auth_);
      }
    }
    auto args = router_args();
    args.client = std::move(client);
    args.wire = desc.id;
    args.workspace = ep->workspace;
    args.topic_limit = desc.topic_limit(*cfg_);
    if (first_message)
      args.verifier = verifier_;
    d.open = [this, args = std::move(args)](std::shared_ptr<ws_link> link) mutable {
      args.link = std::move(link);
      return spawn_session(sys_, std::move(args));
    };
    return d;
  }

  // GET /v1/channels/{c}/stream (PROTOCOL.md "Server-Sent Events"). Everything a subscribe
  // could refuse for this request alone is checked here, so the client gets an HTTP status
  // rather than a stream that ends at once; then the session gets the one Fabric subscribe
  // command the request stands for and runs it as for a WebSocket.
  std::optional<upgrade_decision> on_event_stream(const http_request& req,
                                                  std::string& head) override {
    auto t = parse_target(req.target);
    if (!t || t->segments.size() != 4 || t->segments[0] != "v1" || t->segments[1] != "channels"
        || t->segments[3] != "stream")
      return std::nullopt;
    const std::string& channel = t->segments[2];
    upgrade_decision d;
    d.wire = dialect::sse;
    const dialect_descriptor& desc = dialect_for(dialect::sse);
    if (!desc.enabled(*cfg_)) {
      d.refusal = refuse(errc::realtime_disabled, "realtime delivery is disabled");
      return d;
    }
    // Cross-origin EventSource: the WebSocket's Origin rule. realtime.origins empty allows
    // every origin; a listed origin gets Access-Control-Allow-Origin, another one 403.
    if (req.has_origin && !cfg_->origins.empty() && !origin_allowed(cfg_->origins, req.origin)) {
      d.refusal = refuse(errc::origin_denied, "Origin is not in REALTIME_ORIGINS");
      return d;
    }
    if (!valid_channel_name(channel)) {
      d.refusal = refuse(errc::invalid_channel, "channel name must be 1-200 of [A-Za-z0-9._:-]");
      return d;
    }
    std::string token = t->param("token").value_or("");
    if (token.empty())
      token = std::string(bearer_value(req.authorization));
    boost::json::object audit{{"remote", req.remote}, {"origin", req.origin},
                              {"dialect", desc.name}};
    auto r = auth_->verify_token(token);
    if (!r.ok) {
      audit["reason"] = r.error; // fixed texts: never the token
      caf::anon_send(audit_, audit_atom::value, std::string("auth.denied"),
                     boost::json::serialize(audit));
      d.refusal = refuse(errc::unauthorized, r.error);
      return d;
    }
    if (!cfg_->known_topic(channel)) {
      d.refusal = refuse(errc::channel_unavailable, "no namespace serves this channel");
      return d;
    }
    if (!sy::may_subscribe(r.who, channel, *cfg_)) {
      d.refusal = refuse(errc::scope_denied, "the token does not grant this channel");
      return d;
    }
    // An EventSource reconnecting sends Last-Event-ID, newer than the ?since= of its URL.
    std::string since = req.last_event_id;
    if (since.empty())
      since = t->param("since").value_or("");
    boost::json::object cmd{{"op", "subscribe"}, {"topics", boost::json::array{channel.c_str()}}};
    if (!since.empty()) {
      if (!parse_cursor(since)) {
        d.refusal = refuse(errc::bad_cursor, "since / Last-Event-ID is not a Switchyard cursor");
        return d;
      }
      cmd["since"] = boost::json::object{{channel, since}};
    }
    for (const char* key : {"scopes", "filter"}) {
      auto text = t->param(key);
      if (!text)
        continue;
      boost::system::error_code ec;
      auto v = boost::json::parse(*text, ec);
      if (ec || !v.is_object()) {
        d.refusal = refuse(errc::bad_request, std::string("?") + key + " must be a JSON object");
        return d;
      }
      cmd[key] = std::move(v);
    }
    std::string command = boost::json::serialize(cmd);
    auto decoded = desc.codec->decode(command); // the session decodes it again: one per stream
    if (decoded.kind != op::subscribe) {
      d.refusal = refuse(errc_for_wire(decoded.error_code), decoded.error_message);
      return d;
    }
    audit["sub"] = r.who.sub;
    caf::anon_send(audit_, audit_atom::value, std::string("auth.granted"),
                   boost::json::serialize(audit));
    head = event_stream_head(req.has_origin ? std::string_view(req.origin) : std::string_view());
    auto args = router_args();
    args.client.remote = req.remote;
    args.client.remote_ip = req.remote_ip;
    args.client.origin = req.origin;
    args.client.user_agent = req.user_agent;
    args.client.sub = r.who.sub;
    args.client.auth = std::make_shared<const principal_auth>(std::move(r.who), cfg_, auth_);
    args.wire = dialect::sse;
    args.topic_limit = desc.topic_limit(*cfg_);
    d.open = [this, args = std::move(args),
              command = std::move(command)](std::shared_ptr<ws_link> link) mutable {
      args.link = std::move(link);
      auto handler = spawn_session(sys_, std::move(args));
      handler->on_text(std::move(command));
      return handler;
    };
    return d;
  }

private:
  // What every session gets of the router, whatever opened it (an upgrade, an SSE request).
  session_args router_args() const {
    session_args args;
    args.directory = directory_;
    args.quota = quota_;
    args.audit = audit_;
    args.connections = connections_;
    args.cfg = cfg_;
    return args;
  }

  caf::actor_system& sys_;
  directory_actor directory_;
  quota_actor quota_;
  audit_actor audit_;
  std::shared_ptr<const config> cfg_;
  std::shared_ptr<const authenticator> auth_;
  std::shared_ptr<rest_api> rest_;
  std::shared_ptr<const token_verifier> verifier_; // gateway first-message auth
  connections_actor connections_;                  // the admin API's session registry
};

} // namespace

std::shared_ptr<app_handler> make_app(caf::actor_system& sys, directory_actor directory,
                                      quota_actor quota, audit_actor audit,
                                      std::shared_ptr<const config> cfg,
                                      std::shared_ptr<const authenticator> auth,
                                      std::shared_ptr<rest_api> rest,
                                      connections_actor connections) {
  return std::make_shared<app>(sys, std::move(directory), std::move(quota), std::move(audit),
                               std::move(cfg), std::move(auth), std::move(rest),
                               std::move(connections));
}

} // namespace sy
