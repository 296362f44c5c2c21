#pragma once
// PostgreSQL log sequence numbers: a 64-bit WAL position, written "X/X" (the high and low 32
// bits in upper-case hex, as pg_current_wal_lsn() prints them).
#include <cstdint>
#include <string>
#include <string_view>

namespace sy::pg {

using lsn_t = std::uint64_t;

/// "16/B374D848" for 0x16B374D848.
std::string format_lsn(lsn_t lsn);

/// Parses "X/X" (hex, either case); false on anything else.
bool parse_lsn(std::string_view text, lsn_t& out);

} // namespace sy::pg
