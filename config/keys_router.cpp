// The key table's rows for channels, history, quotas, storage and the runtime.
#include <limits>

#include <boost/json.hpp>

#include "config/key_rows.hpp"

namespace json = boost::json;

namespace sy::key_rows {

std::vector<config_key> channel_keys() {
  std::vector<config_key> t;
  t.push_back(uint_key("history.size", {"SWITCHYARD_HISTORY_SIZE"}, &config::history_size)
                .describe("events kept per channel (namespaces may override)")
                .at_least(1));
  t.push_back(uint_key("history.default_limit", {"SWITCHYARD_HISTORY_DEFAULT_LIMIT"},
                       &config::history_default_limit)
                .describe("history page size without limit; at most history.max_limit")
                .at_least(1));
  t.push_back(uint_key("history.max_limit", {"SWITCHYARD_HISTORY_MAX_LIMIT"},
                       &config::history_max_limit)
                .describe("larger limits are capped")
                .at_least(1));
  t.push_back(uint_key("history.max_page_bytes", {"SWITCHYARD_HISTORY_MAX_PAGE_BYTES"},
                       &config::history_max_page_bytes)
                .describe("a history page stops before this many bytes of events")
                .at_least(1024));
  t.push_back(int_key("history.ttl_s", {"SWITCHYARD_HISTORY_TTL_S"}, &config::history_ttl_s)
                .describe("events older than this many seconds leave the history; 0: no time "
                          "limit (namespaces may override)")
                .at_most(max_history_ttl_s));
  t.push_back(int_key("idempotency.window_ms", {"SWITCHYARD_IDEMPOTENCY_WINDOW_MS"},
                      &config::idempotency_window_ms)
                .describe("a retry with the same key within this is answered as a duplicate")
                .at_least(1));
  t.push_back(uint_key("idempotency.max_keys", {"SWITCHYARD_IDEMPOTENCY_MAX_KEYS"},
                       &config::idempotency_max_keys)
                .describe("keys per channel; the oldest is forgotten first")
                .at_least(1));
  t.push_back(uint_key("idempotency.max_bytes", {"SWITCHYARD_IDEMPOTENCY_MAX_BYTES"},
                       &config::idempotency_max_bytes)
                .describe("receipt bytes per channel; the oldest key is forgotten first")
                .at_least(1024));
  t.push_back(uint_key("idempotency.max_node_bytes", {"SWITCHYARD_IDEMPOTENCY_MAX_NODE_BYTES"},
                       &config::idempotency_max_node_bytes)
                .describe("receipt bytes of all channels together; at least "
                          "idempotency.max_bytes"));
  t.push_back(int_key("channel.idle_ms", {"SWITCHYARD_CHANNEL_IDLE_MS"}, &config::channel_idle_ms)
                .describe("no subscriber and no publish this long: the channel retires")
                .at_least(1));
  t.push_back(int_key("channel.empty_idle_ms", {"SWITCHYARD_CHANNEL_EMPTY_IDLE_MS"},
                      &config::channel_empty_idle_ms)
                .describe("a channel that never held an event retires this soon; at most "
                          "channel.idle_ms"));
  t.push_back(int_key("channel.batch_window_us", {"SWITCHYARD_BATCH_WINDOW_US"},
                      &config::batch_window_us)
                .describe("under load, a channel fans out at most this often"));
  t.push_back(bool_key("channel.require_namespace", {"SWITCHYARD_REQUIRE_NAMESPACE"},
                       &config::require_namespace)
                .describe("true: channels under no namespace are unavailable"));
  auto ns = row("namespaces", key_type::json, {"SWITCHYARD_NAMESPACES"});
  ns.set = [](config& c, std::string_view v) { return parse_namespaces(v, c.namespaces); };
  ns.get = [](const config& c) { return namespaces_json(c.namespaces); };
  t.push_back(std::move(ns).describe(
    "per-prefix settings, longest prefix wins: a JSON array of {prefix, history_size, "
    "history_ttl_s, snapshot, subscribe_default, publish_default}"));
  return t;
}

std::vector<config_key> storage_keys() {
  std::vector<config_key> t;
  t.push_back(string_key("storage.engine", {"SWITCHYARD_STORAGE_ENGINE"}, &config::storage_engine)
                .describe("where history lives: rocksdb in storage.dir (kept across restarts, "
                          "on every node of a cluster) or memory (lost on restart)")
                .one_of({"rocksdb", "memory"}));
  t.push_back(string_key("storage.dir", {"SWITCHYARD_DATA_DIR"}, &config::storage_dir)
                .describe("the rocksdb engine's directory; one daemon per directory (a second "
                          "fails to start)"));
  t.push_back(string_key("storage.sync", {"SWITCHYARD_STORAGE_SYNC"}, &config::storage_sync)
                .describe("batch: a publish is acknowledged after its batch's WAL fsync; none: "
                          "after the write (lost on power failure, not on a crash)")
                .one_of({"batch", "none"}));
  t.push_back(uint_key("storage.cache_bytes", {"SWITCHYARD_STORAGE_CACHE_BYTES"},
                       &config::storage_cache_bytes)
                .describe("RAM for retained events across all channels (rocksdb: the hot tails, an eighth for RocksDB's block cache and an eighth for its memtables; memory: all history); over it a publishing channel drops its own oldest from memory")
                .at_least(1u << 20));
  return t;
}

std::vector<config_key> runtime_keys() {
  std::vector<config_key> t;
  t.push_back(string_key("scheduler.policy", {"SWITCHYARD_SCHEDULER_POLICY"},
                         &config::scheduler_policy)
                .describe("CAF scheduler (see [actors/README.md](actors/README.md#threads))")
                .one_of({"affine", "sharing", "stealing"}));
  t.push_back(uint_key("scheduler.threads", {"SWITCHYARD_SCHEDULER_THREADS"},
                       &config::scheduler_threads)
                .describe("CAF workers; 0 = CAF's default, max(cores, 4)"));
  t.push_back(int_key("request_timeout_ms", {"SWITCHYARD_REQUEST_TIMEOUT_MS"},
                      &config::request_timeout_ms)
                .describe("REST request to router answer: 503 after this; an admin API page "
                          "waits half of it for its channels and sessions (PROTOCOL.md *Admin "
                          "API*)"));
  t.push_back(string_key("log_level", {"SWITCHYARD_LOG_LEVEL"}, &config::log_level)
                .describe("log level")
                .one_of({"trace", "debug", "info", "warn", "error", "off"}));
  t.push_back(string_key("log.format", {"SWITCHYARD_LOG_FORMAT"}, &config::log_format)
                .describe("text: one readable line per record; json: one JSON object per line "
                          "(time, level, msg, kind and the record's fields)")
                .one_of({"text", "json"}));
  t.push_back(uint_key("log.max_per_second", {"SWITCHYARD_LOG_MAX_PER_SECOND"},
                       &config::log_max_per_second)
                .describe("lines of one kind (connection open, auth refusal, ...) per second; "
                          "the rest become one \"N more suppressed\" line; 0 = no limit"));
  t.push_back(string_key("audit.file", {"SWITCHYARD_AUDIT_FILE"}, &config::audit_file)
                .describe("JSON-lines audit trail (auth, quota, config); \"\" = off"));
  return t;
}

} // namespace sy::key_rows
