#pragma once
// JSON Merge Patch (RFC 7386) on Boost.JSON: how a room's state changes. Pure.
#include <boost/json/value.hpp>

namespace sy {

/// Applies `patch` to `target` in place, as RFC 7386 section 2 defines it: an object patch
/// merges member by member (null removes a member, an object recurses, anything else
/// replaces); any other patch replaces the whole target.
void merge_patch(boost::json::value& target, const boost::json::value& patch);

/// A merge patch that turns object `from` into object `to` (merge_patch(from, result) == to):
/// members `to` lacks become null, objects on both sides recurse, other changes are replaced.
/// Exact for states made by merge patches (they hold no null members).
boost::json::value make_merge_patch(const boost::json::value& from, const boost::json::value& to);

} // namespace sy
