#pragma once
// The last step of a WebSocket upgrade, shared by both HTTP/1.1 state machines: the transport
// moves from the HTTP connection to a new WebSocket connection.
#include <memory>
#include <string>
#include <utility>

#include "net/http/app_handler.hpp"
#include "net/http/http_server.hpp"
#include "net/io/conn_registry.hpp"
#include "net/io/io_loop.hpp"
#include "net/ws/ws_connection.hpp"

namespace sy {

/// Starts a WebSocket connection on `stream`: it sends the 101 `response`, parses `leftover`
/// (bytes read past the upgrade request) and keeps `ticket`, the HTTP connection's place under
/// the connection limits. Call on `loop`'s thread.
template <class Stream>
void start_websocket(Stream&& stream, io_loop& loop, const server_options& opts,
                     const std::shared_ptr<conn_registry>& registry, admission_ticket ticket,
                     std::string response, std::string leftover, upgrade_decision decision) {
  auto conn =
    std::make_shared<ws_connection<Stream>>(std::move(stream), loop, opts.websocket(), registry);
  registry->adopt(conn.get(), std::move(ticket)); // the WebSocket keeps this place
  conn->start(std::move(response), std::move(leftover), std::move(decision.open), decision.wire);
}

} // namespace sy
