#pragma once
// The registry of this process's sessions (GET /v1/connections, DELETE /v1/connections/{id},
// POST /v1/users/{sub}/disconnect). A session registers once, when it is admitted (id,
// dialect, user, address, connectedAt, handle), and leaves when it ends; the registry
// monitors it, so a session that dies any other way is forgotten too. It holds no live
// numbers: a page asks each of its sessions (PROTOCOL.md "Admin API").
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "schema/admin.hpp"

namespace sy {

/// `audit` (may be null) receives one record per operator close.
connections_actor spawn_connections(caf::actor_system& sys, std::shared_ptr<const config> cfg,
                                    audit_actor audit);

/// How long a page waits for its sessions' (or channels') numbers: half of request_timeout_ms,
/// so the page answers (with null numbers for the silent ones) before the HTTP layer's 503.
std::chrono::milliseconds admin_page_timeout(const config& cfg);

/// "s123" -> 123 (the session's actor id); nullopt for anything else.
std::optional<std::uint64_t> session_key(std::string_view id);

} // namespace sy
