#include "net/pg/lsn.hpp"

#include <cstdio>

namespace sy::pg {

std::string format_lsn(lsn_t lsn) {
  char buf[24];
  auto n = std::snprintf(buf, sizeof buf, "%X/%X", static_cast<unsigned>(lsn >> 32),
                         static_cast<unsigned>(lsn & 0xffffffffu));
  return std::string(buf, static_cast<std::size_t>(n));
}

namespace {

// One half of "X/X": 1 to 8 hex digits, as PostgreSQL's pg_lsn input accepts them.
bool parse_half(std::string_view s, std::uint32_t& out) {
  if (s.empty() || s.size() > 8)
    return false;
  std::uint32_t v = 0;
  for (char c : s) {
    unsigned d = 0;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return false;
    v = (v << 4) | d;
  }
  out = v;
  return true;
}

} // namespace

bool parse_lsn(std::string_view text, lsn_t& out) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos)
    return false;
  std::uint32_t hi = 0, lo = 0;
  if (!parse_half(text.substr(0, slash), hi) || !parse_half(text.substr(slash + 1), lo))
    return false;
  out = (static_cast<lsn_t>(hi) << 32) | lo;
  return true;
}

} // namespace sy::pg
