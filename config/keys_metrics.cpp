// The key table's rows for GET /metrics (README.md "Metrics").
#include "config/key_rows.hpp"

namespace sy::key_rows {

std::vector<config_key> metrics_keys() {
  std::vector<config_key> t;
  t.push_back(string_key("metrics.token", {"SWITCHYARD_METRICS_TOKEN"}, &config::metrics_token,
                         true)
                .describe("bearer token GET /metrics requires from addresses not in "
                          "metrics.allow; \"\" = those get 403"));
  t.push_back(list_key("metrics.allow", {"SWITCHYARD_METRICS_ALLOW"}, &config::metrics_allow)
                .describe("client addresses that scrape GET /metrics without a token: IP "
                          "addresses, or loopback (127.0.0.0/8 and ::1); empty = none"));
  return t;
}

} // namespace sy::key_rows
