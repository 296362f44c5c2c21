// Cursor parsing (schema/event.cpp parse_cursor): the "since" cursors of a Fabric subscribe
// and the ?cursor= of GET /v1/channels/{channel}/events. A cursor that parses formats back to
// one that parses to the same position, and a cursor in the canonical form format_cursor
// writes (lower-case hex epoch, decimal seq, no leading zeros) reads back byte for byte.
#include <string>

#include "fuzz_check.hpp"
#include "schema/event.hpp"

namespace {

bool canonical_number(std::string_view digits, bool hex) {
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0'))
    return false;
  for (char c : digits) {
    bool ok = (c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f');
    if (!ok)
      return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 16) {
    // The first 16 bytes as an (epoch, seq) pair: every position formats and reads back.
    sy::cursor built;
    for (int i = 0; i < 8; ++i) {
      built.epoch = (built.epoch << 8) | data[i];
      built.seq = (built.seq << 8) | data[8 + i];
    }
    auto again = sy::parse_cursor(sy::format_cursor(built));
    FUZZ_CHECK(again && again->epoch == built.epoch && again->seq == built.seq);
  }
  auto text = sy::fuzz::as_text(data, size);
  auto c = sy::parse_cursor(text);
  if (!c)
    return 0; // the client gets bad_cursor
  auto text_again = sy::format_cursor(*c);
  auto again = sy::parse_cursor(text_again);
  FUZZ_CHECK(again && again->epoch == c->epoch && again->seq == c->seq);
  auto dash = text.find('-');
  FUZZ_CHECK(dash != std::string_view::npos);
  if (canonical_number(text.substr(0, dash), true) && canonical_number(text.substr(dash + 1), false))
    FUZZ_CHECK(text_again == text);
  return 0;
}
