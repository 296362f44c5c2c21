#pragma once
// JSON Merge Patch (RFC 7386) on Boost.JSON: how a room's state changes. Pure.
#include <boost/json/value.hpp>

namespace sy {

/// Applies `patch` to `target` in place, as RFC 7386 section 2 defines it: an object patch
/// merges member by member (null removes a member, an object recurses, anything else
/// replaces); any other patch replaces the whole target.
void merge_patch(boost::json::value& target, const boost::json::value& patch);

} // namespace sy
