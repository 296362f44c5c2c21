#include "net/bridge/metrics_catalog.hpp"

#include <cstdint>
#include <vector>

#include "metrics/counters.hpp"
#include "metrics/exposition.hpp"
#include "schema/dialects/codec.hpp"
#include "schema/dialects/id.hpp"
#include "schema/errc.hpp"

namespace sy {

namespace {

using metrics::exposition;
using metrics::labels;

// A gauge slot counted up and down on several threads: the wrapped sum read as signed.
double gauge(std::uint64_t v) {
  return static_cast<double>(static_cast<std::int64_t>(v));
}

const char* route_name(std::size_t r) {
  static const char* names[] = {"channel", "feed", "feed_control", "ingest"};
  static_assert(sizeof names / sizeof names[0] == metrics::route_count);
  return names[r];
}

std::string result_name(std::size_t i) {
  if (i == metrics::result_ok)
    return "ok";
  if (i == metrics::result_duplicate)
    return "duplicate";
  return std::string(wire_code(static_cast<errc>(i - 2)));
}

template <std::size_t N>
void histogram(exposition& out, const char* name, const std::vector<std::uint64_t>& snap,
               std::size_t base, const std::uint64_t (&bounds)[N], double divisor) {
  std::vector<double> le;
  for (auto b : bounds)
    le.push_back(static_cast<double>(b) / divisor); // exact integers: le is the nearest double
  std::vector<std::uint64_t> counts(snap.begin() + static_cast<std::ptrdiff_t>(base),
                                    snap.begin() + static_cast<std::ptrdiff_t>(base + N + 1));
  out.histogram(name, {}, le, counts, static_cast<double>(snap[base + N + 1]) / divisor);
}

} // namespace

std::string render_metrics(const metrics_scope& scope) {
  static_assert(metrics::max_errc > 36, "metrics/slots.hpp: raise max_errc");
  const auto snap = metrics::snapshot();
  exposition out;
  auto scalar = [&](const char* name, const char* type, const char* help, double v) {
    out.family(name, type, help);
    out.sample(name, {}, v);
  };

  out.family("switchyard_connections", "gauge", "Open WebSocket connections by dialect.");
  for (std::size_t d = 0; d < dialect_count; ++d)
    out.sample("switchyard_connections", {{"dialect", dialect_name(static_cast<dialect>(d))}},
               gauge(snap[metrics::connections + d]));
  out.family("switchyard_connections_opened_total", "counter",
             "WebSocket connections opened by dialect.");
  for (std::size_t d = 0; d < dialect_count; ++d)
    out.sample("switchyard_connections_opened_total",
               {{"dialect", dialect_name(static_cast<dialect>(d))}},
               static_cast<double>(snap[metrics::connections_opened + d]));
  out.family("switchyard_closes_total", "counter",
             "WebSocket connections closed, by close code (1005: the client sent none, 1006: "
             "the TCP connection ended without a close).");
  for (std::size_t i = 0; i < metrics::close_code_slots; ++i)
    out.sample("switchyard_closes_total",
               {{"code", i + 1 < metrics::close_code_slots
                           ? std::to_string(metrics::close_codes[i])
                           : std::string("other")}},
               static_cast<double>(snap[metrics::closes + i]));
  scalar("switchyard_slow_consumer_closes_total", "counter",
         "Connections closed with 4009 because their send queue went over "
         "realtime.outbound_queue_bytes.",
         static_cast<double>(snap[metrics::slow_consumer_closes]));
  scalar("switchyard_subscriptions", "gauge",
         "Subscriptions registered at channels and wildcard patterns.",
         gauge(snap[metrics::subscriptions]));
  scalar("switchyard_channels", "gauge", "Live channel actors.", gauge(snap[metrics::channels]));
  scalar("switchyard_rooms", "gauge", "Live rooms.", gauge(snap[metrics::rooms]));
  scalar("switchyard_room_members", "gauge", "Members of all rooms.",
         gauge(snap[metrics::room_members]));

  out.family("switchyard_publishes_total", "counter",
             "REST publishes answered by the router, by route and result (ok, duplicate, or the "
             "error code).");
  for (std::size_t r = 0; r < metrics::route_count; ++r)
    for (std::size_t i = 0; i < 2 + errc_count(); ++i) {
      auto v = snap[metrics::publishes + r * metrics::result_slots + i];
      if (i < 2 || v > 0) // failures only once they happened: 4 x 36 zero series otherwise
        out.sample("switchyard_publishes_total",
                   {{"route", route_name(r)}, {"result", result_name(i)}},
                   static_cast<double>(v));
    }
  out.family("switchyard_refusals_total", "counter",
             "Requests, frames and upgrades refused, by error code (REST error bodies, "
             "WebSocket error frames and refusals, HTTP transport limits).");
  for (std::size_t i = 1; i <= errc_count(); ++i)
    out.sample("switchyard_refusals_total", {{"reason", std::string(wire_code(static_cast<errc>(i)))}},
               static_cast<double>(snap[metrics::refusals + i]));
  scalar("switchyard_deliveries_total", "counter",
         "Events queued to WebSocket connections (one per event per connection).",
         static_cast<double>(snap[metrics::deliveries]));
  scalar("switchyard_sent_bytes_total", "counter",
         "WebSocket bytes handed to sockets (frames and headers, before TLS).",
         static_cast<double>(snap[metrics::sent_bytes]));
  out.family("switchyard_publish_deliver_latency_seconds", "histogram",
             "From an event's timestamp (milliseconds) to its frame being queued to a "
             "connection, per delivery.");
  histogram(out, "switchyard_publish_deliver_latency_seconds", snap, metrics::deliver_latency, metrics::latency_us_bounds, 1e6);
  scalar("switchyard_history_events", "gauge",
         "Events retained in memory by all channels' histories (with rocksdb: the hot tails).",
         gauge(snap[metrics::history_events]));
  scalar("switchyard_history_bytes", "gauge",
         "Bytes those events hold (the storage.cache_bytes accounting).",
         gauge(snap[metrics::history_bytes]));

  if (scope.store) {
    out.family("switchyard_store_write_duration_seconds", "histogram",
               "One store batch: RocksDB write with its WAL sync.");
    histogram(out, "switchyard_store_write_duration_seconds", snap, metrics::store_write, metrics::store_us_bounds, 1e6);
    out.family("switchyard_store_batch_writes", "histogram",
               "Writes (appends, trims) joined into one store batch (group commit).");
    histogram(out, "switchyard_store_batch_writes", snap, metrics::store_batch, metrics::batch_bounds, 1.0);
    scalar("switchyard_store_failed_batches_total", "counter",
           "Store batches that failed (their publishes got insufficient_storage).",
           static_cast<double>(snap[metrics::store_batches_failed]));
  }
  if (scope.cluster) {
    out.family("switchyard_cluster_members", "gauge",
               "Other cluster nodes in this node's member table, by state.");
    for (std::size_t i = 0; i < metrics::member_state_count; ++i)
      out.sample("switchyard_cluster_members", {{"state", metrics::member_states[i]}},
                 gauge(snap[metrics::members + i]));
    out.family("switchyard_cluster_forwarded_requests_total", "counter",
               "Requests of this node's clients sent to the owner node of their channel.");
    out.sample("switchyard_cluster_forwarded_requests_total", {{"kind", "publish"}},
               static_cast<double>(snap[metrics::forwarded]));
    out.sample("switchyard_cluster_forwarded_requests_total", {{"kind", "history"}},
               static_cast<double>(snap[metrics::forwarded + 1]));
  }
  return out.text();
}

} // namespace sy
