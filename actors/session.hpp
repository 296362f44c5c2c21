#pragma once
// One actor per WebSocket connection. Owns the connection's subscriptions, topic quota, claims
// and heartbeat/idle clock; writes to its socket only through ws_link, which pushes onto the
// connection's I/O loop outbox (the loop writes; the actor never touches the socket).
#include <memory>
#include <string>

#include "config/config.hpp"
#include "schema/link.hpp"
#include "schema/session_auth.hpp"
#include "schema/messages.hpp"

namespace sy {


struct client_info {
  std::string sub;        // JWT subject
  std::string remote;     // peer address:port
  std::string remote_ip;  // peer address (per-IP quota)
  std::string origin;
  std::string user_agent;
  std::shared_ptr<const session_auth> auth; // the upgrade's token: subscribe rights, expiry
  // A credential on the upgrade that was refused, for dialects that answer with a close code
  // (gateway: 4001 when expired, else 4003) rather than an HTTP 401.
  std::string auth_error;
  bool auth_expired = false;
};

struct session_args {
  std::shared_ptr<ws_link> link;
  directory_actor directory;
  quota_actor quota; // null: no connection quotas (unit tests)
  audit_actor audit; // null: no audit trail (unit tests)
  connections_actor connections; // the admin API's registry; null: not listed (unit tests)
  std::shared_ptr<const config> cfg;
  client_info client;
  dialect wire = dialect::fabric;
  std::string workspace;          // gateway: from the URL; SnackBase: snackbase.workspace
  std::size_t topic_limit = 32;   // subscriptions per connection (4008 / quota_exceeded)
  // Verifies an in-band {"type":"auth"} when the upgrade carried no credential; null: the
  // dialect has no first-message auth.
  std::shared_ptr<const token_verifier> verifier;
};

/// Spawns the session actor and returns the connection-side handler that feeds it: client
/// frames are decoded on the I/O thread and arrive at the actor as typed commands.
std::shared_ptr<ws_handler> spawn_session(caf::actor_system& sys, session_args args);

} // namespace sy
