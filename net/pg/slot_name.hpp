#pragma once
// PostgreSQL's rule for replication slot names (ReplicationSlotValidateName): 1-63 lower-case
// letters, digits and underscores. Checked when the configuration is read (a clear startup
// error instead of a source that retries forever) and before a command quotes the name as is.
#include <algorithm>
#include <string_view>

namespace sy::pg {

inline bool valid_slot_name(std::string_view name) {
  if (name.empty() || name.size() > 63)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

} // namespace sy::pg
