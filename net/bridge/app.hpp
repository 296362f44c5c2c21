#pragma once
// The application behind the Beast server: REST goes to rest_api, WebSocket upgrades are
// checked (path, enabled, Origin, token) and become session actors.
#include <memory>

#include "config/config.hpp"
#include "net/auth/auth.hpp"
#include "net/bridge/rest_api.hpp"
#include "net/http/app_handler.hpp"
#include "schema/messages.hpp"

namespace sy {

std::shared_ptr<app_handler> make_app(caf::actor_system& sys, directory_actor directory,
                                      quota_actor quota, audit_actor audit,
                                      std::shared_ptr<const config> cfg,
                                      std::shared_ptr<const authenticator> auth,
                                      std::shared_ptr<rest_api> rest,
                                      connections_actor connections = {});

} // namespace sy
