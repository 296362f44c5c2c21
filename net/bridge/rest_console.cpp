// The admin console's routes under /admin: its files (GET /admin, GET /admin/<file>, embedded
// from web/admin/, net/http/admin_assets.hpp) and POST /admin/token, which turns the admin
// credential the console was given into a short-lived admin token for its WebSocket.
#include <algorithm>

#include <boost/json.hpp>

#include "net/auth/token_mint.hpp"
#include "net/bridge/rest_impl.hpp"
#include "net/http/admin_assets.hpp"
#include "schema/event.hpp"

namespace json = boost::json;

namespace sy {

void rest_api::impl::console_route(const http_request& req, const request_target& t,
                                   const replier_ptr& reply) {
  const auto& s = t.segments;
  if (s.size() == 2 && s[1] == "token") {
    if (req.method != "POST")
      return (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
    return console_token(req, reply);
  }
  if (auto file = admin_asset_reply(s)) {
    if (req.method != "GET")
      return (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
    return (*reply)(std::move(*file));
  }
  auto path = req.target.substr(0, req.target.find('?'));
  (*reply)(error_reply(errc::not_found, "no console file at " + path));
}

// A browser cannot set Authorization on a WebSocket upgrade, so the console passes a token as
// ?token=, where proxies and logs may see it. It never puts the credential it was given there
// (the API key is no token at all, and an admin's own token may live for days): it asks for
// this one, which expires with auth.token_default_ttl_s (and never after the credential), and
// asks again when it reconnects.
void rest_api::impl::console_token(const http_request& req, const replier_ptr& reply) {
  principal who;
  if (auto e = authenticate(req, who))
    return (*reply)(std::move(*e));
  if (!who.api_key && !who.admin)
    return (*reply)(deny(req, errc::forbidden,
                         "only the API key or an admin token may open the console", who.sub));
  std::int64_t ttl = std::min(cfg->token_default_ttl_s, cfg->max_session_ttl_s);
  if (who.exp)
    ttl = std::min(ttl, *who.exp - wall_clock_ms() / 1000);
  if (ttl < 1)
    return (*reply)(deny(req, errc::unauthorized, "the credential expires now"));
  token_grant grant;
  grant.sub = who.api_key ? "api_key" : (who.sub.empty() ? "admin" : who.sub);
  grant.admin = true;
  // Our own verifier checks iss/aud when configured, so the token must carry them.
  grant.issuer = cfg->auth_issuer;
  grant.audience = cfg->auth_audience;
  auto minted = mint_token(grant, ttl, cfg->jwt_secret);
  json::object out{{"token", std::move(minted.token)},
                   {"sub", grant.sub},
                   {"expiresAt", format_timestamp(minted.exp_s * 1000)},
                   {"ttl", ttl}};
  (*reply)({200, json::serialize(out), "application/json"});
}

} // namespace sy
