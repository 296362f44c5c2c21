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

boost::json::value make_merge_patch(const boost::json::value& from,
                                    const boost::json::value& to) {
  if (!from.is_object() || !to.is_object())
    return to;
  boost::json::object out;
  const auto& f = from.get_object();
  const auto& t = to.get_object();
  for (const auto& kv : f)
    if (!t.contains(kv.key()))
      out[kv.key()] = nullptr;
  for (const auto& kv : t) {
    auto it = f.find(kv.key());
    if (it == f.end())
      out[kv.key()] = kv.value();
    else if (it->value().is_object() && kv.value().is_object()) {
      auto sub = make_merge_patch(it->value(), kv.value());
      if (!sub.get_object().empty())
        out[kv.key()] = std::move(sub);
    } else if (it->value() != kv.value()) {
      out[kv.key()] = kv.value();
    }
  }
  return out;
}

} // namespace sy
