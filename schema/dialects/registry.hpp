#pragma once
// The one table of dialects (registry.cpp), indexed by dialect id. codec_for and dialect_name
// (codec.hpp) read it too.
#include <array>

#include "schema/dialects/descriptor.hpp"

namespace sy {

using dialect_table = std::array<const dialect_descriptor*, dialect_count>;

/// Every dialect, in id order.
const dialect_table& dialects();

const dialect_descriptor& dialect_for(dialect d);

} // namespace sy
