#pragma once
// What the application needs of an event stream without the connection's types (the
// connection, net/http/sse_stream.hpp, pulls in the I/O layer).
#include <string>
#include <string_view>

#include "net/http/app_handler.hpp"

namespace sy {

/// Whether a request is for an event stream: GET of a path ending in "/stream". The app
/// decides the rest (app_handler::on_event_stream); this keeps other requests off that path.
bool is_event_stream_request(const http_request& req);

/// The status line and headers of an accepted stream; `allow_origin` non-empty adds the CORS
/// headers for it.
std::string event_stream_head(std::string_view allow_origin);

} // namespace sy
