#include "net/http/url.hpp"

namespace sy {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

} // namespace

std::optional<std::string> request_target::param(std::string_view key) const {
  for (const auto& [k, v] : query)
    if (k == key)
      return v;
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  if (in.find('%') == std::string_view::npos
      && (!plus_is_space || in.find('+') == std::string_view::npos))
    return std::string(in); // nothing to decode: the usual path segment
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<request_target> parse_target(std::string_view target) {
  request_target t;
  auto q = target.find('?');
  auto path = target.substr(0, q);
  if (path.empty() || path.front() != '/')
    return std::nullopt;
  t.segments.reserve(6); // every route has at most 5: one allocation, not three
  std::size_t pos = 1;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto seg = path.substr(pos, slash == std::string_view::npos ? path.npos : slash - pos);
    if (!seg.empty()) {
      auto d = percent_decode(seg, false);
      if (!d)
        return std::nullopt;
      t.segments.push_back(std::move(*d));
    }
    if (slash == std::string_view::npos)
      break;
    pos = slash + 1;
  }
  if (q != std::string_view::npos) {
    auto query = target.substr(q + 1);
    std::size_t p = 0;
    while (p <= query.size()) {
      auto amp = query.find('&', p);
      auto item = query.substr(p, amp == std::string_view::npos ? query.npos : amp - p);
      if (!item.empty()) {
        auto eq = item.find('=');
        auto k = percent_decode(item.substr(0, eq), true);
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                              : item.substr(eq + 1),
                                true);
        if (!k || !v)
          return std::nullopt;
        t.query.emplace_back(std::move(*k), std::move(*v));
      }
      if (amp == std::string_view::npos)
        break;
      p = amp + 1;
    }
  }
  return t;
}

} // namespace sy
