#pragma once
// Server-Sent Events (GET /v1/channels/{channel}/stream): one channel per stream, events only
// from server to client. The stream has no client frames: the daemon builds one Fabric subscribe
// command from the request (channel, since / Last-Event-ID, scopes, filter) and the session
// runs it like any other. Pure text encoders; PROTOCOL.md "Server-Sent Events" documents them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "schema/dialects/descriptor.hpp"
#include "schema/event.hpp"

namespace sy::sse {

/// The registry's entry (descriptor.cpp).
extern const dialect_descriptor descriptor;

/// "id: <cursor>\nevent: <type>\ndata: " -- what precedes the event's REST object. A type
/// holding CR or LF cannot be an SSE field: it is sent without `event:` (so as "message"); the
/// data still carries the real type.
std::string event_head(const event& e, std::string_view id);
/// What ends an event: the data line and the blank line.
constexpr std::string_view event_tail = "\n\n";
/// The whole event: head, REST object, tail (resume replays and snapshots).
std::string encode_event_text(const encoded_event& e);

/// `event: subscribed` (or `event: reset` when `recovered` is false: the history no longer
/// covers the gap), data {"channel","cursor","replay"[,"recovered"]}. No `id:`: the client's
/// Last-Event-ID stays the last event it received.
std::string encode_subscribed(std::string_view channel, std::string_view cursor,
                              std::size_t replay, std::optional<bool> recovered);
/// The last event of a stream that the server ends: `event: close`, data {"code","reason"}.
std::string encode_close(std::uint16_t code, std::string_view reason);
/// A comment line: EventSource ignores it, proxies and clients see traffic.
constexpr std::string_view heartbeat_comment = ": heartbeat\n\n";

} // namespace sy::sse
