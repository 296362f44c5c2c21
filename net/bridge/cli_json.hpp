#pragma once
// Indented JSON for people (check-config): Boost.JSON 1.81 serializes on one line only.
#include <string>

#include <boost/json/value.hpp>

namespace sy {

/// `v` with two spaces of indentation per level, one member or element per line; scalars
/// (strings escaped) as boost::json::serialize writes them. Empty objects/arrays stay `{}`/`[]`.
std::string pretty_json(const boost::json::value& v);

} // namespace sy
