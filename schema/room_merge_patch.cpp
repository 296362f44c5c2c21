#include "schema/room_merge_patch.hpp"

namespace sy {

void merge_patch(boost::json::value& target, const boost::json::value& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object())
    target = boost::json::object(target.storage());
  auto& obj = target.get_object();
  for (const auto& kv : patch.get_object()) {
    if (kv.value().is_null()) {
      obj.erase(kv.key());
      continue;
    }
    // A member absent from the target starts as null, which an object patch turns into {}.
    merge_patch(obj[kv.key()], kv.value());
  }
}

} // namespace sy
