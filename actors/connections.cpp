#include "actors/connections.hpp"

#include <map>
#include <set>
#include <unordered_map>

#include <boost/json.hpp>

#include "actors/log_line.hpp"

namespace sy {

std::chrono::milliseconds admin_page_timeout(const config& cfg) {
  return std::chrono::milliseconds(std::max<std::int64_t>(cfg.request_timeout_ms / 2, 1));
}

std::optional<std::uint64_t> session_key(std::string_view id) {
  if (id.size() < 2 || id.size() > 21 || id[0] != 's')
    return std::nullopt;
  std::uint64_t n = 0;
  for (char c : id.substr(1)) {
    if (c < '0' || c > '9')
      return std::nullopt;
    auto next = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (next / 10 != n) // overflow
      return std::nullopt;
    n = next;
  }
  return n;
}

namespace {

// -- one page of GET /v1/connections: asks each session, answers once all did or in time -------

// The sink's only message doubles as its deadline: row `timed_out` never names a session.
constexpr std::uint32_t timed_out = UINT32_MAX;

struct page_state {
  conn_listing page;
  conn_listing_completion done;
  std::size_t waiting = 0;
  std::vector<bool> gone; // the session ended before it answered: not listed

  static inline const char* name = "conn_page";
};

using page_ptr = conn_stat_sink::stateful_pointer<page_state>;

void finish(page_ptr self) {
  auto& st = self->state;
  auto done = std::move(st.done);
  if (!done)
    return;
  auto& rows = st.page.rows;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (!st.gone[i]) {
      if (kept != i) // never a self-move: it would empty the row
        rows[kept] = std::move(rows[i]);
      ++kept;
    }
  rows.resize(kept);
  done->complete(st.page);
  self->quit();
}

conn_stat_sink::behavior_type conn_page(page_ptr self, conn_listing page,
                                        conn_listing_completion done,
                                        std::chrono::milliseconds timeout) {
  auto& st = self->state;
  st.page = std::move(page);
  st.done = std::move(done);
  st.waiting = st.page.rows.size();
  st.gone.assign(st.page.rows.size(), false);
  // A session that ended after the registry listed it (its connleft or down on the way) never
  // answers: its monitor says so at once, rather than the page waiting for its deadline.
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (std::size_t i = 0; i < st.page.rows.size(); ++i)
      if (st.page.rows[i].entry.handle.address() == dm.source && !st.page.rows[i].answered
          && !st.gone[i]) {
        st.gone[i] = true;
        if (--st.waiting == 0)
          finish(self);
        return;
      }
  });
  for (std::uint32_t i = 0; i < st.page.rows.size(); ++i) {
    self->monitor(st.page.rows[i].entry.handle);
    self->send(st.page.rows[i].entry.handle, connstat_atom::value, conn_stat_sink{self}, i);
  }
  self->delayed_send(self, timeout, connstat_atom::value, timed_out, std::uint64_t{0},
                     std::uint64_t{0});
  return {
    [self](connstat_atom, std::uint32_t row, std::uint64_t subs, std::uint64_t queued) {
      auto& st = self->state;
      if (row == timed_out)
        return finish(self);
      if (row >= st.page.rows.size() || st.page.rows[row].answered)
        return;
      auto& r = st.page.rows[row];
      r.answered = true;
      r.subscriptions = subs;
      r.queued_bytes = queued;
      if (--st.waiting == 0)
        finish(self);
    },
  };
}

// -- the registry --------------------------------------------------------------------------------

struct registry_state {
  std::shared_ptr<const config> cfg;
  audit_actor audit;
  std::map<std::uint64_t, conn_entry> sessions; // by key: pages in connection order
  std::unordered_map<std::string, std::set<std::uint64_t>> by_user;

  static inline const char* name = "connections";
};

using registry_ptr = connections_actor::stateful_pointer<registry_state>;

void forget(registry_ptr self, std::uint64_t key) {
  auto& st = self->state;
  auto it = st.sessions.find(key);
  if (it == st.sessions.end())
    return;
  auto u = st.by_user.find(it->second.user);
  if (u != st.by_user.end()) {
    u->second.erase(key);
    if (u->second.empty())
      st.by_user.erase(u);
  }
  self->demonitor(it->second.handle.address());
  st.sessions.erase(it);
}

void list(registry_ptr self, const conn_list_request& req) {
  auto& st = self->state;
  auto it = st.sessions.begin();
  if (!req.query.after.empty()) {
    auto after = session_key(req.query.after);
    it = after ? st.sessions.upper_bound(*after) : st.sessions.end();
  }
  conn_listing page;
  for (; it != st.sessions.end() && page.rows.size() < req.query.limit; ++it)
    page.rows.push_back(conn_row{it->second, false, 0, 0});
  if (it != st.sessions.end() && !page.rows.empty())
    page.next = page.rows.back().entry.id;
  if (page.rows.empty())
    return req.done->complete(page);
  self->system().spawn(conn_page, std::move(page), req.done, admin_page_timeout(*st.cfg));
}

void kick(registry_ptr self, const kick_request& req) {
  auto& st = self->state;
  std::vector<session_actor> targets;
  if (!req.id.empty()) {
    auto key = session_key(req.id);
    auto it = key ? st.sessions.find(*key) : st.sessions.end();
    if (it != st.sessions.end())
      targets.push_back(it->second.handle);
  } else if (auto u = st.by_user.find(req.user); u != st.by_user.end()) {
    for (auto key : u->second)
      targets.push_back(st.sessions.at(key).handle);
  }
  const std::string& target = req.id.empty() ? req.user : req.id;
  const bool found = !targets.empty() || req.id.empty();
  boost::json::object data{{"admin", req.admin},
                           {"route", req.route},
                           {"target", target},
                           {"result", found ? "closed" : "not_found"},
                           {"closed", targets.size()}};
  if (!req.id.empty())
    data["sessionId"] = req.id;
  log_record(spdlog::level::info, "admin.disconnect",
             found ? "connections closed by an operator" : "operator close: no such connection",
             data);
  if (st.audit)
    self->send(st.audit, audit_atom::value, std::string("admin.disconnect"),
               boost::json::serialize(data));
  if (!found)
    return req.done->fail(errc::not_found, "no connection " + req.id + " on this node");
  // Each session starts its close when it handles the message and then lets go of the ticket;
  // the last one to let go answers the request (schema/admin.hpp).
  auto ticket = std::make_shared<const kick_tally>(req.done, targets.size());
  for (auto& t : targets)
    self->send(t, kick_atom::value, ticket);
}

connections_actor::behavior_type registry(registry_ptr self, std::shared_ptr<const config> cfg,
                                          audit_actor audit) {
  self->state.cfg = std::move(cfg);
  self->state.audit = std::move(audit);
  self->set_down_handler([self](caf::down_msg& dm) { forget(self, dm.source.id()); });
  return {
    [self](connreg_atom, const conn_entry& e) {
      auto& st = self->state;
      if (!e.handle || st.sessions.count(e.key))
        return;
      self->monitor(e.handle);
      st.by_user[e.user].insert(e.key);
      st.sessions.emplace(e.key, e);
    },
    [self](connleft_atom, std::uint64_t key) { forget(self, key); },
    [self](connlist_atom, const conn_list_request& req) { list(self, req); },
    [self](kick_atom, const kick_request& req) { kick(self, req); },
  };
}

} // namespace

connections_actor spawn_connections(caf::actor_system& sys, std::shared_ptr<const config> cfg,
                                    audit_actor audit) {
  return sys.spawn(registry, std::move(cfg), std::move(audit));
}

} // namespace sy
