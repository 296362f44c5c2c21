// Request-target parsing (net/http/url.cpp): path segments and query parameters, percent-decoded.
// A parsed target, written again with every byte percent-encoded, parses to the same segments
// and parameters; percent_decode inverts percent-encoding for any bytes.
#include <string>

#include "fuzz_check.hpp"
#include "net/http/url.hpp"

namespace {

std::string encode_all(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = sy::fuzz::as_text(data, size);
  for (bool plus : {false, true}) {
    auto d = sy::percent_decode(encode_all(text), plus);
    FUZZ_CHECK(d && *d == text);
  }
  auto t = sy::parse_target(text);
  if (!t)
    return 0; // 400 bad_request
  FUZZ_CHECK(!text.empty() && text[0] == '/');
  std::string again;
  for (const auto& s : t->segments) {
    FUZZ_CHECK(!s.empty());
    again += '/' + encode_all(s);
  }
  if (again.empty())
    again = "/";
  if (!t->query.empty()) {
    again += '?';
    for (std::size_t i = 0; i < t->query.size(); ++i)
      again += (i ? "&" : "") + encode_all(t->query[i].first) + '=' + encode_all(t->query[i].second);
    // param() is the first value of a key.
    const auto& [key, value] = t->query.front();
    FUZZ_CHECK(t->param(key) == value);
  }
  auto u = sy::parse_target(again);
  FUZZ_CHECK(u && u->segments == t->segments && u->query == t->query);
  return 0;
}
