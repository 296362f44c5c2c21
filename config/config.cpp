// The config struct's own queries (namespaces, topics, development credentials).
#include "config/config.hpp"

#include "schema/audit_channels.hpp"
#include "schema/workspace.hpp"

namespace sy {

namespace_config config::namespace_for(std::string_view channel) const {
  const namespace_config* best = nullptr;
  for (const auto& ns : namespaces)
    if (channel.substr(0, ns.prefix.size()) == ns.prefix
        && (!best || ns.prefix.size() > best->prefix.size()))
      best = &ns;
  namespace_config out;
  if (best)
    out = *best;
  else
    out.history_size = history_size;
  if (out.history_ttl_s < 0) // not set for the namespace: the global default
    out.history_ttl_s = history_ttl_s;
  return out;
}

bool config::known_topic(std::string_view topic) const {
  // Workspace channels are defined by the gateway itself (its channel families): the gateway
  // and SnackBase routes validate them, so they need no namespace entry.
  if (!require_namespace || topic == log_event_channel || topic == log_audit_channel
      || topic == console_stats_channel || split_workspace_channel(topic))
    return true;
  bool pattern = !topic.empty() && topic.back() == '*';
  auto name = pattern ? topic.substr(0, topic.size() - 1) : topic;
  for (const auto& ns : namespaces) {
    if (name.substr(0, ns.prefix.size()) == ns.prefix)
      return true;
    if (pattern && std::string_view(ns.prefix).substr(0, name.size()) == name)
      return true;
  }
  return false;
}

bool config::uses_dev_credentials() const {
  config d;
  return jwt_secret == d.jwt_secret || api_key == d.api_key;
}

} // namespace sy
