#pragma once
// REST routes (publish, history, Layeron feeds, healthz). Knows the router only through the
// directory's typed interface. A request travels I/O thread -> directory -> channel, and the
// channel completes it through a `completion` that posts the reply back to the I/O thread: no
// thread ever waits on an actor, and no extra actor hop is spent on the answer.
#include <memory>

#include "config/config.hpp"
#include "net/auth/auth.hpp"
#include "net/http/app_handler.hpp"
#include "schema/cluster.hpp"
#include "schema/messages.hpp"
#include "schema/source.hpp"
#include "schema/store_messages.hpp"

namespace sy {

class rest_api {
public:
  /// `audit` (may be null) receives an `auth.denied` record for every 401/403 answered.
  rest_api(caf::actor_system& sys, directory_actor directory, std::shared_ptr<const config> cfg,
           std::shared_ptr<const authenticator> auth, audit_actor audit = {},
           cluster_actor cluster = {}, store_actor store = {},
           connections_actor connections = {}, sources_actor sources = {});
  ~rest_api();

  void handle(http_request req, reply_fn reply);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sy
