#pragma once
// The dialect ids, one per wire protocol (PROTOCOL.md has one section each). An id is the
// dialect's index in the registry (schema/dialects/registry.cpp) and in an event's live frames
// (encoded_event::live); adding a dialect adds its id here (schema/dialects/README.md).
#include <cstddef>
#include <cstdint>

namespace sy {

enum class dialect : std::uint8_t { fabric = 0, gateway = 1, snackbase = 2, sse = 3 };
constexpr std::size_t dialect_count = 4;

} // namespace sy
