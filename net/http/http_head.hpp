#pragma once
// The status line and headers of a REST reply, written by hand. Every reply has the same
// shape (Server, Content-Type, Connection: close when closing, Content-Length), so building
// Beast's http::response with its field list and running its serializer cost ~6% of the REST
// path and several allocations per request for bytes that are nearly constant. The output is
// byte-for-byte what Beast wrote for these replies (tests/unit/http_head_test.cpp checks it).
#include <cstddef>
#include <string>

namespace sy {

/// Replaces `out` with the head of an HTTP/1.1 reply (ends with the blank line); `out` keeps
/// its capacity, so a connection reuses one buffer for every reply. `headers`, when given, are
/// more header lines (each ending in "\r\n"), written before the blank line.
void format_http_head(std::string& out, unsigned status, const char* content_type,
                      std::size_t content_length, bool keep_alive,
                      const char* headers = nullptr);

} // namespace sy
