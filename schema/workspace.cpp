#include "schema/workspace.hpp"

namespace sy {

bool valid_plain_id(std::string_view id, std::size_t max_len) {
  if (id.empty() || id.size() > max_len)
    return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::string workspace_channel(std::string_view workspace, std::string_view local) {
  std::string out;
  out.reserve(workspace_prefix.size() + workspace.size() + 1 + local.size());
  out += workspace_prefix;
  out += workspace;
  out += '.';
  out += local;
  return out;
}

std::optional<workspace_name> split_workspace_channel(std::string_view channel) {
  if (channel.substr(0, workspace_prefix.size()) != workspace_prefix)
    return std::nullopt;
  auto rest = channel.substr(workspace_prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos)
    return std::nullopt;
  workspace_name n{rest.substr(0, dot), rest.substr(dot + 1)};
  if (!valid_workspace_id(n.workspace))
    return std::nullopt;
  return n;
}

} // namespace sy
