#pragma once
// sy::errc as a CAF error category: actors fail requests with `make_error(errc)`, which crosses
// nodes as a code (never as text), and read it back with `errc_of`.
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include "schema/errc.hpp"

namespace caf {
class actor_system_config;
}

namespace sy {

/// The CAF error category of `sy::errc`.
constexpr caf::atom_value errc_category = caf::atom("sy");

/// `caf::error` of an errc, with the human-readable detail as its context. Found by ADL, so
/// `caf::error err = errc::bad_cursor;` works too.
caf::error make_error(errc e, std::string detail = {});

/// The errc of `err`; nullopt for errors of other categories (timeouts, a dead actor, ...).
std::optional<errc> errc_of(const caf::error& err);

/// The detail text `make_error` stored in `err` (empty when there is none).
std::string detail_of(const caf::error& err);

/// Lets the actor system render sy::errc errors ("sy: bad_cursor (detail)").
void register_errc(caf::actor_system_config& cfg);

} // namespace sy
