#pragma once
// REST routes (publish, history, Layeron feeds, healthz). Knows the router only through the
// directory's typed interface; a bridge actor turns actor responses into HTTP replies so that
// no I/O thread ever waits on an actor.
#include <memory>

#include "config/config.hpp"
#include "net/auth.hpp"
#include "net/transport.hpp"
#include "schema/messages.hpp"

namespace sy {

class rest_api {
public:
  rest_api(caf::actor_system& sys, directory_actor directory, std::shared_ptr<const config> cfg,
           std::shared_ptr<const authenticator> auth);
  ~rest_api();

  void handle(http_request req, reply_fn reply);
  /// Ends the bridge actor (shutdown).
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sy
