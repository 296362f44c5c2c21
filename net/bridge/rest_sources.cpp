// GET /v1/sources (CHANGE-CAPTURE.md *Monitoring*): every configured change-data source as this
// node sees it, for the API key or an admin token. The rows come from the sources actor, which
// asks each source running here; a source placed on another node is listed as "elsewhere"
// with that node.
#include <boost/json.hpp>

#include "net/bridge/rest_impl.hpp"
#include "net/bridge/rest_render.hpp"
#include "metrics/source_gauges.hpp"
#include "net/pg/lsn.hpp"
#include "net/pg/replication_session.hpp"
#include "schema/event.hpp"

namespace json = boost::json;

namespace sy {

namespace {

json::value lsn_or_null(std::uint64_t lsn) {
  return lsn == 0 ? json::value(nullptr) : json::value(pg::format_lsn(lsn));
}

json::object source_json(const source_config& c, const source_row& r) {
  json::array tables;
  for (const auto& t : c.tables)
    tables.emplace_back(t);
  json::value error = nullptr;
  if (!r.error_code.empty())
    error = json::object{{"code", r.error_code},
                         {"message", r.error_message},
                         {"at", format_timestamp(r.error_at_ms)}};
  auto lag_bytes = r.server_lsn > r.confirmed_lsn ? r.server_lsn - r.confirmed_lsn : 0;
  return {{"id", c.id},
          {"kind", c.kind},
          {"workspace", c.workspace},
          {"publication", c.publication},
          {"slot", c.slot},
          {"tables", std::move(tables)},
          {"node", r.node.empty() ? json::value(nullptr) : json::value(r.node)},
          {"state", r.state},
          {"error", std::move(error)},
          {"receivedLsn", lsn_or_null(r.received_lsn)},
          {"confirmedLsn", lsn_or_null(r.confirmed_lsn)},
          {"serverLsn", lsn_or_null(r.server_lsn)},
          {"lagBytes", lag_bytes},
          {"lagSeconds", static_cast<double>(r.lag_ms) / 1000.0},
          {"maxLagBytes", c.max_lag_bytes},
          {"lagAlert", r.lag_alert},
          {"changes", r.changes},
          {"changesPerSecond", r.changes_per_s},
          {"inFlight", r.in_flight},
          {"failures", r.failures},
          {"retryInMs", r.retry_in_ms}};
}

} // namespace

// GET /healthz: the process answers; with change-data sources, each one's state, last failure
// and lag alert from its gauges (no actor is asked: a probe must answer even when busy). A
// source that retries does not make the node unhealthy: it is reported, not a reason to
// restart the node.
std::string health_body() {
  if (metrics::source_count() == 0)
    return "{\"status\":\"ok\"}";
  json::array rows;
  for (std::size_t i = 0; i < metrics::source_count(); ++i) {
    const auto& g = metrics::source_row(i);
    auto state = static_cast<metrics::source_state>(g.state.load(std::memory_order_relaxed));
    auto failure = static_cast<pg::failure>(g.last_failure.load(std::memory_order_relaxed));
    rows.push_back(json::object{
      {"id", g.id},
      {"state", metrics::source_state_name(state)},
      {"error", failure == pg::failure::none ? json::value(nullptr)
                                             : json::value(pg::failure_name(failure))},
      {"lagAlert", g.lag_alert.load(std::memory_order_relaxed) != 0}});
  }
  return json::serialize(json::object{{"status", "ok"}, {"sources", std::move(rows)}});
}

void rest_api::impl::sources_route(const http_request& req, const replier_ptr& reply) {
  principal who;
  if (auto e = admit_admin(req, who))
    return (*reply)(std::move(*e));
  if (req.method != "GET")
    return (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
  if (!sources) {
    (*reply)({200, "{\"sources\":[]}", "application/json"});
    return;
  }
  source_list_request r;
  r.done = render_with<std::vector<source_row>>(
    reply, [cfg = cfg](const std::vector<source_row>& rows) {
      json::array out;
      for (std::size_t i = 0; i < rows.size() && i < cfg->sources.size(); ++i)
        out.push_back(source_json(cfg->sources[i], rows[i]));
      return json::object{{"sources", std::move(out)}};
    });
  caf::anon_send(sources, srclist_atom::value, std::move(r));
}

} // namespace sy
