// The admin API (PROTOCOL.md "Admin API"): GET /v1/channels, GET /v1/channels/{c},
// GET /v1/connections, DELETE /v1/connections/{id}, POST /v1/users/{sub}/disconnect. The API key
// or an admin token only, as for POST /v1/admin/backup. Channel pages come from the directory,
// connection pages and closes from the connections registry; each completes through a
// completion that renders the reply (dropped unanswered, the replier behind it answers 503).
#include <boost/json.hpp>

#include "actors/connections.hpp"
#include "net/bridge/rest_impl.hpp"
#include "net/bridge/rest_render.hpp"
#include "schema/admin.hpp"

namespace json = boost::json;

namespace sy {

namespace {

constexpr std::uint32_t default_page = 100;
constexpr std::uint32_t max_page = 1000;

json::value number_or_null(bool known, std::uint64_t n) {
  return known ? json::value(n) : json::value(nullptr);
}

json::object channel_json(const channel_row& r) {
  return {{"name", r.name},
          {"subscribers", number_or_null(r.answered, r.subscribers)},
          {"lastSeq", number_or_null(r.answered, r.last_seq)},
          {"retained", number_or_null(r.answered, r.retained)},
          {"epoch", number_or_null(r.answered, r.epoch)}};
}

json::value next_or_null(const std::string& next) {
  return next.empty() ? json::value(nullptr) : json::value(next);
}

// ?limit= (1..1000, default 100) and ?after=; a bad one answers 400 bad_request.
std::optional<http_reply> parse_page(const request_target& t, page_query& q) {
  if (auto limit = t.param("limit")) {
    std::uint64_t n = 0;
    bool ok = !limit->empty() && limit->size() <= 7;
    for (char c : *limit)
      ok = ok && c >= '0' && c <= '9' && ((n = n * 10 + static_cast<std::uint64_t>(c - '0')), true);
    if (!ok || n < 1 || n > max_page)
      return error_reply(errc::bad_request, "limit must be an integer from 1 to "
                                              + std::to_string(max_page));
    q.limit = static_cast<std::uint32_t>(n);
  } else {
    q.limit = default_page;
  }
  q.after = t.param("after").value_or("");
  q.prefix = t.param("prefix").value_or("");
  return std::nullopt;
}

} // namespace

// 401 without a credential, 403 for anything but the API key or an admin token; nullopt when
// the caller is an admin (`who` set).
std::optional<http_reply> rest_api::impl::admit_admin(const http_request& req,
                                                      principal& who) const {
  if (auto e = authenticate(req, who))
    return e;
  if (!who.api_key && !who.admin)
    return deny(req, errc::forbidden, "only the API key or an admin token may use the admin API",
                who.sub);
  return std::nullopt;
}

void rest_api::impl::admin_route(const http_request& req, const request_target& t,
                                 const replier_ptr& reply) {
  const auto& s = t.segments;
  principal who;
  if (auto e = admit_admin(req, who))
    return (*reply)(std::move(*e));
  auto not_allowed = [&] {
    (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
  };
  const std::string admin = who.api_key ? std::string("api_key") : who.sub;
  const std::string path = req.target.substr(0, req.target.find('?'));
  if (s[1] == "channels") {
    if (req.method != "GET")
      return not_allowed();
    channel_list_request r;
    if (s.size() == 3) {
      if (!valid_channel_name(s[2]))
        return (*reply)(error_reply(errc::invalid_channel,
                                    "channel names are 1-200 characters of [A-Za-z0-9._:-]"));
      r.name = s[2];
      r.done = render_with<channel_listing>(reply, [](const channel_listing& l) {
        auto out = channel_json(l.rows.front());
        if (!l.room.empty()) {
          boost::system::error_code ec;
          auto members = json::parse(l.members_json, ec);
          out["presence"] = json::object{{"room", l.room},
                                         {"members", ec ? json::value(json::array{}) : members}};
        }
        return out;
      });
    } else {
      if (auto e = parse_page(t, r.query))
        return (*reply)(std::move(*e));
      r.done = render_with<channel_listing>(reply, [](const channel_listing& l) {
        json::array rows;
        for (const auto& row : l.rows)
          rows.push_back(channel_json(row));
        return json::object{{"channels", std::move(rows)}, {"next", next_or_null(l.next)}};
      });
    }
    return caf::anon_send(directory, chanlist_atom::value, std::move(r));
  }
  if (!connections)
    return (*reply)(error_reply(errc::unavailable, "no connection registry on this node"));
  if (s[1] == "connections" && s.size() == 2) {
    if (req.method != "GET")
      return not_allowed();
    conn_list_request r;
    if (auto e = parse_page(t, r.query))
      return (*reply)(std::move(*e));
    if (!r.query.after.empty() && !session_key(r.query.after))
      return (*reply)(error_reply(errc::bad_request,
                                  "after must be a connection id (\"s\" and digits)"));
    r.done = render_with<conn_listing>(reply, [](const conn_listing& l) {
      json::array rows;
      for (const auto& row : l.rows)
        rows.push_back(json::object{{"id", row.entry.id},
                                    {"dialect", row.entry.dialect},
                                    {"user", row.entry.user},
                                    {"address", row.entry.address},
                                    {"subscriptions", number_or_null(row.answered, row.subscriptions)},
                                    {"queuedBytes", number_or_null(row.answered, row.queued_bytes)},
                                    {"connectedAt", format_timestamp(row.entry.connected_at_ms)}});
      return json::object{{"connections", std::move(rows)}, {"next", next_or_null(l.next)}};
    });
    return caf::anon_send(connections, connlist_atom::value, std::move(r));
  }
  kick_request k;
  k.admin = admin;
  k.route = req.method + " " + path;
  if (s[1] == "connections") { // DELETE /v1/connections/{id}
    if (req.method != "DELETE")
      return not_allowed();
    k.id = s[2];
    k.done = render_with<kick_result>(reply, [id = s[2]](const kick_result&) {
      return json::object{{"id", id}, {"closed", true}};
    });
  } else { // POST /v1/users/{sub}/disconnect
    if (req.method != "POST")
      return not_allowed();
    if (s[2].empty())
      return (*reply)(error_reply(errc::bad_request, "the user (token subject) is empty"));
    k.user = s[2];
    k.done = render_with<kick_result>(reply, [user = s[2]](const kick_result& r) {
      return json::object{{"user", user}, {"closed", r.closed}};
    });
  }
  caf::anon_send(connections, kick_atom::value, std::move(k));
}

} // namespace sy
