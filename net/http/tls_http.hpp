#pragma once
// HTTP/1.1 over TLS: the REST path and the WebSocket upgrade of an HTTPS listener. See
// tls_http.cpp.
#include <memory>

#include "net/io/conn_registry.hpp"
#include "net/http/http_server.hpp"
#include "net/io/io_loop.hpp"
#include "net/io/stream_types.hpp"

namespace sy {

/// Serves one accepted TLS connection (detection and handshake included) until it closes or
/// upgrades to a WebSocket (which inherits `ticket`). Call on `loop`'s thread.
void serve_tls_http(tls_stream stream, io_loop& loop, const server_options& opts,
                    std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> registry,
                    admission_ticket ticket);

} // namespace sy
