#pragma once
// The one table of dialects (registry.cpp), indexed by dialect id.
#include <array>

#include "schema/dialects/descriptor.hpp"

namespace sy {

using dialect_table = std::array<const dialect_descriptor*, dialect_count>;

/// Every dialect, in id order.
const dialect_table& dialects();

const dialect_descriptor& dialect_for(dialect d);

inline const dialect_codec& codec_for(dialect d) {
  return *dialect_for(d).codec;
}

inline const char* dialect_name(dialect d) {
  return dialect_for(d).name;
}

} // namespace sy
