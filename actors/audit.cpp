#include "actors/audit.hpp"

#include <cstdio>
#include <memory>

#include <boost/json.hpp>

#include "actors/completions.hpp"
#include "actors/log_event.hpp"
#include "actors/log_line.hpp"
#include "schema/json_text.hpp"

namespace sy {

namespace {

struct file_closer {
  void operator()(std::FILE* f) const {
    if (f)
      std::fclose(f);
  }
};

struct audit_state {
  directory_actor directory;
  std::shared_ptr<const config> cfg;
  std::unique_ptr<std::FILE, file_closer> file;

  static inline const char* name = "audit";
};

using audit_ptr = audit_actor::stateful_pointer<audit_state>;

// The gateway's audit topics (PROTOCOL.md *log.event and log.audit*).
const char* console_topic(const std::string& type) {
  if (type == "auth.granted")
    return "console.realtime.auth-granted";
  if (type == "auth.denied")
    return "console.realtime.auth-denied";
  if (type == "session.suspended")
    return "console.realtime.session-suspended";
  if (type == "session.resumed")
    return "console.realtime.session-resumed";
  return nullptr;
}

// Every refused credential, from REST, an upgrade or a session, passes here: one log line with
// the reason (a fixed text: the credential itself is never in an audit record).
void log_refusal(const boost::json::object& data) {
  static constexpr std::pair<const char*, const char*> kept[] = {
    {"reason", "reason"}, {"dialect", "dialect"}, {"sub", "user"},     {"remote", "remote"},
    {"route", "route"},   {"status", "status"},   {"sessionId", "session"}, {"workspace", "workspace"}};
  boost::json::object fields;
  for (const auto& [from, to] : kept)
    if (auto it = data.find(from); it != data.end())
      fields[to] = it->value();
  log_record(spdlog::level::warn, "auth.refused", "auth refused", fields);
}

audit_actor::behavior_type audit_behavior(audit_ptr self, directory_actor directory,
                                          std::shared_ptr<const config> cfg) {
  auto& st = self->state;
  st.directory = std::move(directory);
  st.cfg = std::move(cfg);
  if (!st.cfg->audit_file.empty())
    st.file.reset(std::fopen(st.cfg->audit_file.c_str(), "a"));
  return {
    [self](audit_atom, const std::string& type, const std::string& data_json) {
      auto& st = self->state;
      boost::system::error_code ec;
      auto v = boost::json::parse(data_json, ec);
      boost::json::object data = (!ec && v.is_object()) ? v.get_object() : boost::json::object{};
      if (type == "auth.denied")
        log_refusal(data);
      auto [shown, whole] = make_log_events(type, data);
      std::vector<publish_cmd> cmds;
      if (auto* topic = console_topic(type)) {
        cmds.push_back(whole);
        cmds.back().channel = topic;
      }
      cmds.push_back(std::move(shown));
      cmds.push_back(std::move(whole));
      caf::anon_send(st.directory, publish_atom::value, unanswered(cmds));
      if (st.file) {
        std::string line = "{\"time\":\"" + format_timestamp(wall_clock_ms()) + "\",\"type\":";
        append_json_string(line, type);
        line += ",\"data\":";
        line += boost::json::serialize(data);
        line += "}\n";
        std::fwrite(line.data(), 1, line.size(), st.file.get());
        std::fflush(st.file.get()); // an audit line must survive a crash right after it
      }
    },
  };
}

} // namespace

audit_actor spawn_audit(caf::actor_system& sys, directory_actor directory,
                        std::shared_ptr<const config> cfg) {
  return sys.spawn(audit_behavior, std::move(directory), std::move(cfg));
}

} // namespace sy
