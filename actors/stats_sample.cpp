#include "actors/stats_sample.hpp"

#include <cmath>
#include <cstdio>

#include "metrics/counters.hpp"
#include "schema/dialects/codec.hpp"
#include "schema/json_text.hpp"

namespace sy {

namespace {

std::int64_t gauge(std::uint64_t v) {
  return static_cast<std::int64_t>(v); // wrapped sum of ups and downs (metrics/counters.hpp)
}

// A rate with at most two decimals and no exponent ("12.5", "0"): what a person reads.
std::string rate_text(std::uint64_t now, std::uint64_t before, double seconds) {
  if (seconds <= 0 || now < before)
    return "0";
  double r = std::round(static_cast<double>(now - before) / seconds * 100.0) / 100.0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", r);
  std::string s(buf);
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.')
    s.pop_back();
  return s;
}

void field(std::string& out, const char* name, const std::string& value) {
  out += '"';
  out += name;
  out += "\":";
  out += value;
  out += ',';
}

} // namespace

stats_sample read_stats_sample(const std::vector<std::uint64_t>& snap) {
  stats_sample s;
  for (std::size_t d = 0; d < dialect_count; ++d) {
    s.connections_by_dialect[d] = gauge(snap[metrics::connections + d]);
    s.connections += s.connections_by_dialect[d];
  }
  s.channels = gauge(snap[metrics::channels]);
  s.subscriptions = gauge(snap[metrics::subscriptions]);
  s.rooms = gauge(snap[metrics::rooms]);
  s.members = gauge(snap[metrics::room_members]);
  for (std::size_t r = 0; r < metrics::route_count; ++r)
    s.publishes += snap[metrics::publishes + r * metrics::result_slots + metrics::result_ok];
  s.deliveries = snap[metrics::deliveries];
  return s;
}

std::string stats_data_json(const stats_sample& now, const stats_sample& before, double seconds,
                            const std::vector<stats_member>& members) {
  std::string out = "{";
  field(out, "connections", std::to_string(now.connections));
  std::string by = "{";
  for (std::size_t d = 0; d < dialect_count; ++d) {
    if (d > 0)
      by += ',';
    append_json_string(by, dialect_name(static_cast<dialect>(d)));
    by += ':';
    by += std::to_string(now.connections_by_dialect[d]);
  }
  by += '}';
  field(out, "connectionsByDialect", by);
  field(out, "channels", std::to_string(now.channels));
  field(out, "subscriptions", std::to_string(now.subscriptions));
  field(out, "publishes", std::to_string(now.publishes));
  field(out, "deliveries", std::to_string(now.deliveries));
  field(out, "publishRate", rate_text(now.publishes, before.publishes, seconds));
  field(out, "deliveryRate", rate_text(now.deliveries, before.deliveries, seconds));
  field(out, "rooms", std::to_string(now.rooms));
  field(out, "members", std::to_string(now.members));
  out += "\"clusterMembers\":[";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0)
      out += ',';
    out += "{\"nodeId\":";
    append_json_string(out, members[i].node_id);
    out += ",\"state\":";
    append_json_string(out, members[i].state);
    out += members[i].self ? ",\"self\":true}" : ",\"self\":false}";
  }
  out += "]}";
  return out;
}

} // namespace sy
