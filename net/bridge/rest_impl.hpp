#pragma once
// The REST routes' shared state and their handlers, defined by concern: rest_api.cpp (routing,
// credentials, bodies), rest_publish.cpp (publish routes and history), rest_admin.cpp (token
// minting, cluster members).
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "net/bridge/rest_api.hpp"
#include "net/bridge/rest_reply.hpp"
#include "net/http/url.hpp"
#include "schema/dialects/descriptor.hpp"
#include "schema/source.hpp"
#include "schema/store_messages.hpp"

namespace sy {

/// GET /healthz's body (rest_sources.cpp): status, and each change-data source's state.
std::string health_body();

struct rest_api::impl {
  caf::actor_system& sys;
  directory_actor directory;
  std::shared_ptr<const config> cfg;
  std::shared_ptr<const authenticator> auth;
  audit_actor audit;
  cluster_actor cluster; // null: not clustered
  store_actor store;     // null: no durable store on this node (storage.engine = memory)
  connections_actor connections; // the session registry (admin API); null: none (tests)
  sources_actor sources; // the change-data sources (GET /v1/sources); null: none (tests)

  // -- credentials and bodies (rest_api.cpp) ---------------------------------------------------

  // A refused REST credential (401) or right (403): answered, and recorded as auth.denied
  // (never with the credential; the path only, since the query may carry a token).
  http_reply deny(const http_request& req, errc code, const std::string& message,
                  const std::string& sub = {}) const;

  // 401 when the credential is missing or wrong; nullopt when authenticated.
  std::optional<http_reply> authenticate(const http_request& req, principal& who) const;

  std::optional<http_reply> parse_body(const http_request& req, boost::json::object& out) const;

  // Every publish route: credential (401), publish right for the channel (403), JSON object
  // body (400). nullopt when the request may go on.
  std::optional<http_reply> admit_publish(const http_request& req, const std::string& channel,
                                          boost::json::object& body) const;

  // -- publish routes and history (rest_publish.cpp) -------------------------------------------

  // Publishes parsed in one pass of an I/O loop go to the directory as one message. Each loop
  // has exactly one thread, so a thread_local batch is that loop's batch.
  void publish(const http_request& req, const std::string& channel, publish_cmd cmd,
               const replier_ptr& reply);

  void channel_publish(const http_request& req, const std::string& channel,
                       const replier_ptr& reply);

  // Layeron feeds: POST /feeds/:feedId/events
  void feed_event(const http_request& req, const std::string& feed_id,
                  const std::string& channel, const replier_ptr& reply);

  // Layeron feeds: POST /feeds/:feedId/control
  void feed_control(const http_request& req, const std::string& channel,
                    const replier_ptr& reply);

  // A dialect's ingestion route (schema/dialects/): POST /workspaces/{id}/events,
  // POST /api/v1/collections/{collection}/events. Where the path names the channel the publish
  // right is checked before the body is read; where the body names it, after parsing it.
  void dialect_ingest(const http_request& req, const ingest_route& route,
                      const std::string& param, const replier_ptr& reply);

  void history(const http_request& req, const request_target& t, const std::string& channel,
               const replier_ptr& reply);

  // -- rooms (rest_rooms.cpp) ------------------------------------------------------------------

  // /v1/rooms/{R}[/metadata|/state|/events]: `t.segments` has 3 or 4 entries.
  void room_route(const http_request& req, const request_target& t, const replier_ptr& reply);

  // -- administration (rest_admin.cpp) ---------------------------------------------------------

  // POST /v1/sessions: mints a HS256 token (auth.jwt_secret) with the requested claims. Only
  // the API key or an admin token may mint; the TTL is capped by auth.max_session_ttl_s.
  void create_session(const http_request& req, const replier_ptr& reply);

  // GET /v1/cluster: the members as this node sees them (no credential, like /healthz).
  // With ?channel=NAME the answer also names the channel's owner and replica nodes (the
  // rendezvous ranking over this node's view of the live members).
  void cluster_members(const request_target& t, const replier_ptr& reply);

  // POST /v1/admin/backup {"to": DIR}: an online, consistent copy of the store (a RocksDB
  // checkpoint) into DIR on the node's host; starting a node on DIR restores it. API key or
  // admin token only.
  void backup(const http_request& req, const replier_ptr& reply);

  // GET /metrics (rest_metrics.cpp): open to metrics.allow, elsewhere only with
  // Authorization: Bearer <metrics.token> (401; 403 while no token is set).
  void scrape_metrics(const http_request& req, const replier_ptr& reply);

  // -- the admin API (rest_admin_api.cpp) -----------------------------------------------------

  // 401 without a credential, 403 for anything but the API key or an admin token.
  std::optional<http_reply> admit_admin(const http_request& req, principal& who) const;

  // GET /v1/channels, GET /v1/channels/{c}, GET /v1/connections, DELETE /v1/connections/{id},
  // POST /v1/users/{sub}/disconnect (`t.segments` as routed by rest_api.cpp).
  void admin_route(const http_request& req, const request_target& t, const replier_ptr& reply);
  // GET /v1/sources (rest_sources.cpp)
  void sources_route(const http_request& req, const replier_ptr& reply);
  // -- the admin console (rest_console.cpp) ----------------------------------------------------

  // /admin and /admin/...: GET the console's embedded files, POST /admin/token.
  void console_route(const http_request& req, const request_target& t, const replier_ptr& reply);

  // POST /admin/token: for the API key or an admin token, a short-lived admin JWT (sub
  // "api_key" for the API key) the console passes as ?token= on its WebSocket upgrade.
  void console_token(const http_request& req, const replier_ptr& reply);

  // -- routing (rest_api.cpp) ------------------------------------------------------------------

  void route(http_request req, const replier_ptr& reply);
};

} // namespace sy
