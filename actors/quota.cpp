#include "actors/quota.hpp"

#include <unordered_map>

namespace sy {

namespace {

struct quota_state {
  std::shared_ptr<const config> cfg;
  std::unordered_map<std::string, std::size_t> per_user;
  std::unordered_map<std::string, std::size_t> per_ip;

  static inline const char* name = "quota";
};

using quota_ptr = quota_actor::stateful_pointer<quota_state>;

void release(std::unordered_map<std::string, std::size_t>& m, const std::string& key) {
  auto it = m.find(key);
  if (it != m.end() && --it->second == 0)
    m.erase(it);
}

quota_actor::behavior_type quota_behavior(quota_ptr self, std::shared_ptr<const config> cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [self](connect_atom, const std::string& sub, const std::string& ip) {
      auto& st = self->state;
      if (st.per_user[sub] >= st.cfg->max_connections_per_user
          || st.per_ip[ip] >= st.cfg->max_connections_per_ip) {
        if (st.per_user[sub] == 0)
          st.per_user.erase(sub);
        if (st.per_ip[ip] == 0)
          st.per_ip.erase(ip);
        return admission::refused;
      }
      st.per_user[sub]++;
      st.per_ip[ip]++;
      return admission::admitted;
    },
    [self](disconnect_atom, const std::string& sub, const std::string& ip) {
      release(self->state.per_user, sub);
      release(self->state.per_ip, ip);
    },
  };
}

} // namespace

quota_actor spawn_quota(caf::actor_system& sys, std::shared_ptr<const config> cfg) {
  return sys.spawn(quota_behavior, std::move(cfg));
}

} // namespace sy
