// POST /v1/sessions (token minting), GET /v1/cluster (the members this node sees) and
// POST /v1/admin/backup (a checkpoint of the store).
#include <algorithm>
#include <filesystem>

#include <boost/json.hpp>

#include "net/auth/token_mint.hpp"
#include "net/bridge/rest_impl.hpp"
#include "schema/json_text.hpp"
#include "schema/ownership.hpp"

namespace json = boost::json;

namespace sy {

// POST /v1/sessions: mints a HS256 token (auth.jwt_secret) with the requested claims. Only
// the API key or an admin token may mint; the TTL is capped by auth.max_session_ttl_s.
void rest_api::impl::create_session(const http_request& req, const replier_ptr& reply) {
  principal who;
  if (auto e = authenticate(req, who))
    return (*reply)(std::move(*e));
  if (!who.api_key && !who.admin)
    return (*reply)(deny(req, errc::forbidden,
                         "only the API key or an admin token may create sessions", who.sub));
  json::object body;
  if (auto e = parse_body(req, body))
    return (*reply)(std::move(*e));
  auto sub = body.find("sub");
  if (sub == body.end() || !sub->value().is_string() || sub->value().get_string().empty())
    return (*reply)(error_reply(errc::bad_request, "\"sub\" must be a non-empty string"));
  token_grant grant;
  grant.sub = std::string(sub->value().get_string());
  for (const char* key : {"channels", "publish", "workspaces"}) {
    auto it = body.find(key);
    if (it == body.end() || it->value().is_null())
      continue;
    json::array list;
    if (it->value().is_string()) {
      list.push_back(it->value());
    } else if (it->value().is_array()) {
      for (const auto& v : it->value().get_array()) {
        if (!v.is_string())
          return (*reply)(error_reply(errc::bad_request,
                                      std::string("\"") + key + "\" must be strings"));
        list.push_back(v);
      }
    } else {
      return (*reply)(error_reply(errc::bad_request, std::string("\"") + key
                                                        + "\" must be a string array"));
    }
    for (const auto& v : list)
      if (!valid_grant(v.get_string(), std::string_view(key) == "workspaces"))
        return (*reply)(error_reply(errc::bad_request,
                                    std::string("invalid pattern in \"") + key + "\""));
    auto& field = std::string_view(key) == "channels" ? grant.channels
                  : std::string_view(key) == "publish" ? grant.publish
                                                        : grant.workspaces;
    field.emplace();
    for (const auto& v : list)
      field->emplace_back(v.get_string());
  }
  std::int64_t ttl = cfg->token_default_ttl_s;
  if (auto it = body.find("ttl"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_int64() || it->value().get_int64() < 1)
      return (*reply)(error_reply(errc::bad_request, "\"ttl\" must be a positive integer"));
    ttl = it->value().get_int64();
  }
  ttl = std::min(ttl, cfg->max_session_ttl_s);
  // Our own verifier checks iss/aud when configured, so minted tokens must carry them.
  grant.issuer = cfg->auth_issuer;
  grant.audience = cfg->auth_audience;
  auto minted = mint_token(grant, ttl, cfg->jwt_secret);
  json::object out{{"token", std::move(minted.token)},
                   {"sub", sub->value()},
                   {"expiresAt", format_timestamp(minted.exp_s * 1000)},
                   {"ttl", ttl}};
  (*reply)({201, json::serialize(out), "application/json"});
}

// GET /v1/cluster: the members as this node sees them (no credential, like /healthz).
// With ?channel=NAME the answer also names the channel's owner and replica nodes (the
// rendezvous ranking over this node's view of the live members).
void rest_api::impl::cluster_members(const request_target& t, const replier_ptr& reply) {
  std::string channel = t.param("channel").value_or("");
  if (!cluster) {
    json::object out{{"enabled", false}, {"members", json::array{}}};
    return (*reply)({200, json::serialize(out), "application/json"});
  }
  std::size_t replicas = cfg->cluster_replicas;
  // A one-shot actor asks the cluster actor: the I/O thread never waits.
  auto timeout = std::chrono::milliseconds(cfg->cluster_request_timeout_ms);
  sys.spawn([c = cluster, reply, timeout, channel, replicas](caf::event_based_actor* self) {
    self->request(c, timeout, members_atom::value)
      .then(
        [reply, channel, replicas](const std::vector<member_status>& ms) {
          json::array members;
          std::string self_id;
          std::vector<std::string> live;
          for (const auto& m : ms) {
            if (m.state == "self" || m.state == "up")
              live.push_back(m.info.node_id);
            if (m.state == "self")
              self_id = m.info.node_id;
            // This node is "up" like every reachable member, flagged "self".
            members.push_back(json::object{{"nodeId", m.info.node_id},
                                           {"host", m.info.host},
                                           {"port", m.info.port},
                                           {"state", m.state == "self" ? "up" : m.state},
                                           {"self", m.state == "self"},
                                           {"since", m.since_ms > 0
                                                       ? json::value(format_timestamp(m.since_ms))
                                                       : json::value(nullptr)}});
          }
          json::object out{{"enabled", true}, {"self", self_id}, {"members", std::move(members)}};
          if (!channel.empty()) {
            std::sort(live.begin(), live.end()); // the directory's order
            auto rank = rank_nodes(live, channel);
            json::array reps;
            for (std::size_t i = 1; i <= replicas && i < rank.size(); ++i)
              reps.emplace_back(live[rank[i]]);
            out["channel"] = channel;
            out["owner"] = live[rank.front()];
            out["replicas"] = std::move(reps);
          }
          (*reply)({200, json::serialize(out), "application/json"});
        },
        [reply](const caf::error&) {
          (*reply)(error_reply(errc::unavailable, "the cluster actor did not answer"));
        });
  });
}

// POST /v1/admin/backup {"to": DIR}: the store actor writes what it has staged, then takes a
// RocksDB checkpoint (hard links to the immutable table files when DIR is on the same
// filesystem, copies otherwise, plus the live WAL): every publish acknowledged before the
// request reached the store is in the copy. DIR names a directory on the node's host and must
// not exist: a backup never overwrites.
void rest_api::impl::backup(const http_request& req, const replier_ptr& reply) {
  principal who;
  if (auto e = authenticate(req, who))
    return (*reply)(std::move(*e));
  if (!who.api_key && !who.admin)
    return (*reply)(deny(req, errc::forbidden, "only the API key or an admin token may back up",
                         who.sub));
  json::object body;
  if (auto e = parse_body(req, body))
    return (*reply)(std::move(*e));
  auto to = body.find("to");
  if (to == body.end() || !to->value().is_string() || to->value().get_string().empty())
    return (*reply)(error_reply(errc::bad_request, "\"to\" must be a non-empty string"));
  std::string dir(to->value().get_string());
  if (!std::filesystem::path(dir).is_absolute())
    return (*reply)(error_reply(errc::bad_request,
                                "\"to\" must be an absolute path (a directory on the node's host)"));
  if (!store)
    return (*reply)(error_reply(
      errc::not_found, "this node keeps no store (storage.engine = memory): nothing to back up"));
  std::error_code ec;
  if (std::filesystem::exists(dir, ec))
    return (*reply)(error_reply(errc::already_exists, dir + " exists: a backup never overwrites"));
  if (audit)
    caf::anon_send(audit, audit_atom::value, std::string("admin.backup"),
                   json::serialize(json::object{{"sub", who.sub}, {"to", dir}}));
  // A one-shot actor asks the store actor: the I/O thread never waits. The HTTP layer answers
  // 503 after http.request_timeout_ms; a copy that takes longer still completes.
  sys.spawn([s = store, reply, dir](caf::event_based_actor* self) {
    self->request(s, caf::infinite, st_ckpt_atom::value, store_checkpoint{dir})
      .then(
        [reply](const store_checkpointed& done) {
          json::object out{{"dir", done.dir}};
          (*reply)({200, json::serialize(out), "application/json"});
        },
        [reply, dir](const caf::error& err) {
          auto code = store_error_code(err);
          if (code == store_errc::invalid_argument) // DIR appeared meanwhile
            return (*reply)(error_reply(errc::already_exists, dir + " exists"));
          if (code == store_errc::insufficient_storage)
            return (*reply)(error_reply(errc::insufficient_storage,
                                        "no space left for the backup in " + dir));
          (*reply)(error_reply(errc::unavailable, "the backup failed: " + store_error_text(err)));
        });
  });
}

} // namespace sy
