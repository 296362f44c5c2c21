#pragma once
// HTTP/1.1 over plain TCP: the REST path and the WebSocket upgrade, without Beast's stream
// machinery. See plain_http.cpp for why.
#include <memory>

#include "net/io/conn_registry.hpp"
#include "net/http/http_server.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/stream_types.hpp"

namespace sy {

/// Serves one accepted plain TCP connection until it closes or upgrades to a WebSocket (which
/// inherits `ticket`). Call on `loop`'s thread; `opts` must outlive the connection (the server
/// owns it).
void serve_plain_http(tcp::socket socket, io_loop& loop, const server_options& opts,
                      std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> registry,
                      admission_ticket ticket);

} // namespace sy
