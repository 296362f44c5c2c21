#include "schema/dialects/descriptor.hpp"

#include <boost/json/parse.hpp>

namespace sy {

live_input::live_input(const event& e, std::string_view id, std::string_view members)
  : ev_(e), id_(id), members_(members), workspace_(split_workspace_channel(e.channel)) {
}

const boost::json::value* live_input::data() {
  if (!parsed_) {
    parsed_ = true;
    boost::system::error_code ec;
    data_ = boost::json::parse(ev_.data_json, ec);
    data_ok_ = !ec;
  }
  return data_ok_ ? &data_ : nullptr;
}

std::optional<std::string_view> match_path(std::string_view pattern,
                                           const std::vector<std::string>& segments) {
  if (pattern.empty()) // a dialect without a WebSocket endpoint (SSE)
    return std::nullopt;
  std::string_view param;
  std::size_t i = 0;
  while (true) {
    auto slash = pattern.find('/');
    auto part = pattern.substr(0, slash);
    if (i == segments.size())
      return std::nullopt;
    const std::string& s = segments[i++];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}')
      param = s;
    else if (s != part)
      return std::nullopt;
    if (slash == std::string_view::npos)
      break;
    pattern.remove_prefix(slash + 1);
  }
  if (i != segments.size())
    return std::nullopt;
  return param;
}

} // namespace sy
