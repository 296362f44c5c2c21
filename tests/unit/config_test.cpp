#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <unistd.h>

#include "config/config.hpp"
#include "config/keys.hpp"

using namespace sy;

TEST_CASE("defaults are valid and documented values", "[config]") {
  config c;
  CHECK(validate_config(c).empty());
  CHECK(c.listen == "127.0.0.1:9009");
  CHECK(c.topic_limit == 32);
  CHECK(c.heartbeat_ms == 30000);
  CHECK(c.history_size == 500);
  CHECK(c.idempotency_window_ms == 300000);
  CHECK(c.max_frame_bytes == 65536);
  CHECK(c.scheduler_policy == "affine");
  CHECK(c.namespace_for("tunnel.status").snapshot == 1);
  CHECK(c.namespace_for("orders").snapshot == 0);
}

TEST_CASE("settings apply by dotted key and reject bad values", "[config]") {
  config c;
  CHECK(apply_setting(c, "realtime.topic_limit", "64").empty());
  CHECK(c.topic_limit == 64);
  CHECK(apply_setting(c, "realtime.enabled", "0").empty());
  CHECK_FALSE(c.realtime_enabled);
  CHECK(apply_setting(c, "realtime.origins", "https://a.example, https://b.example").empty());
  CHECK(c.origins == std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK_FALSE(apply_setting(c, "realtime.topic_limit", "lots").empty());
  CHECK_FALSE(apply_setting(c, "no.such.key", "1").empty());
  CHECK(apply_setting(c, "namespaces", R"([{"prefix":"snap.","history_size":50,"snapshot":3}])")
          .empty());
  CHECK(c.namespace_for("snap.x").snapshot == 3);
  CHECK(c.namespace_for("snap.x").history_size == 50);
  CHECK_FALSE(apply_setting(c, "namespaces", R"([{"history_size":5}])").empty());
}

TEST_CASE("validation catches inconsistent settings", "[config]") {
  config c;
  c.listen = "nonsense";
  CHECK_FALSE(validate_config(c).empty());
  c = config{};
  c.history_default_limit = 2000;
  CHECK_FALSE(validate_config(c).empty());
  c = config{};
  c.scheduler_policy = "fastest";
  CHECK_FALSE(validate_config(c).empty());
  c = config{};
  c.namespaces = {{"x.", 5, 10, "", ""}};
  CHECK_FALSE(validate_config(c).empty());
}

namespace {

// True when changing one setting of the defaults makes the config invalid.
template <class Change>
bool invalid_with(Change change) {
  config c;
  change(c);
  return !validate_config(c).empty();
}

} // namespace

TEST_CASE("history pages have a byte bound", "[config]") {
  config c;
  CHECK(c.history_max_page_bytes == 1048576);
  CHECK(apply_setting(c, "history.max_page_bytes", "4096").empty());
  CHECK(c.history_max_page_bytes == 4096);
  CHECK(validate_config(c).empty());
  CHECK(invalid_with([](config& x) { x.history_max_page_bytes = 10; }));
}

TEST_CASE("the idempotency window has byte bounds per channel and per node", "[config]") {
  config c;
  CHECK(c.idempotency_max_bytes == 33554432);
  CHECK(c.idempotency_max_node_bytes == 268435456);
  CHECK(apply_setting(c, "idempotency.max_bytes", "2048").empty());
  CHECK(apply_setting(c, "idempotency.max_node_bytes", "8192").empty());
  CHECK(c.idempotency_max_bytes == 2048);
  CHECK(c.idempotency_max_node_bytes == 8192);
  CHECK(validate_config(c).empty());
  CHECK(invalid_with([](config& x) { x.idempotency_max_bytes = 10; }));
  CHECK(invalid_with([](config& x) { x.idempotency_max_node_bytes = x.idempotency_max_bytes - 1; }));
}

TEST_CASE("channels made by subscribing have their own budget and retire soon", "[config]") {
  config c;
  CHECK(c.max_empty_channels == 10000);
  CHECK(c.channel_empty_idle_ms == 1000);
  CHECK(apply_setting(c, "quota.max_empty_channels", "5").empty());
  CHECK(apply_setting(c, "channel.empty_idle_ms", "0").empty());
  CHECK(c.max_empty_channels == 5);
  CHECK(c.channel_empty_idle_ms == 0);
  CHECK(validate_config(c).empty());
  CHECK(invalid_with([](config& x) { x.max_empty_channels = 0; }));
  CHECK(invalid_with([](config& x) { x.channel_empty_idle_ms = -1; }));
  CHECK(invalid_with([](config& x) { x.channel_empty_idle_ms = x.channel_idle_ms + 1; }));
}

TEST_CASE("storage: engine, directory, sync and cache are checked", "[config]") {
  config c;
  CHECK(c.storage_engine == "rocksdb");
  CHECK(c.storage_dir == "./switchyard-data");
  CHECK(c.storage_sync == "batch");
  CHECK(c.storage_cache_bytes == 268435456);
  CHECK(apply_setting(c, "storage.engine", "memory").empty());
  CHECK(apply_setting(c, "storage.dir", "/var/lib/switchyard").empty());
  CHECK(apply_setting(c, "storage.sync", "none").empty());
  CHECK(apply_setting(c, "storage.cache_bytes", "1048576").empty());
  CHECK(validate_config(c).empty());
  CHECK(c.storage_dir == "/var/lib/switchyard");
  CHECK(validate_config([] {
          config x;
          x.storage_engine = "sqlite";
          return x;
        }())
        == "storage.engine must be \"rocksdb\" or \"memory\", got \"sqlite\"");
  CHECK(invalid_with([](config& x) {
    x.storage_engine = "rocksdb";
    x.storage_dir.clear();
  }));
  CHECK_FALSE(invalid_with([](config& x) { // unused by memory
    x.storage_engine = "memory";
    x.storage_dir.clear();
  }));
  CHECK(invalid_with([](config& x) { x.storage_sync = "always"; }));
  CHECK(invalid_with([](config& x) { x.storage_cache_bytes = 4096; }));
  ::setenv("SWITCHYARD_DATA_DIR", "/srv/sy", 1);
  auto r = load_config(std::nullopt, {});
  ::unsetenv("SWITCHYARD_DATA_DIR");
  CHECK(r.cfg.storage_dir == "/srv/sy");
}

TEST_CASE("file, env and flags layer in that order", "[config]") {
  auto path = std::string("/tmp/switchyard-config-test-") + std::to_string(::getpid()) + ".conf";
  {
    std::ofstream out(path);
    out << R"({
      // comments are allowed
      "listen": "127.0.0.1:7000",
      "realtime": { "topic_limit": 5, "heartbeat_ms": 1000, "origins": [] },
      "namespaces": [{"prefix": "a.", "snapshot": 2}],
    })";
  }
  ::setenv("REALTIME_TOPIC_LIMIT", "6", 1);
  ::setenv("SWITCHYARD_HISTORY_MAX_LIMIT", "700", 1); // derived name of history.max_limit
  auto r = load_config(path, {"realtime.heartbeat_ms=2000"});
  ::unsetenv("REALTIME_TOPIC_LIMIT");
  ::unsetenv("SWITCHYARD_HISTORY_MAX_LIMIT");
  std::remove(path.c_str());
  REQUIRE(r.error.empty());
  CHECK(r.cfg.listen == "127.0.0.1:7000");
  CHECK(r.cfg.topic_limit == 6);       // env beats file
  CHECK(r.cfg.history_max_limit == 700);
  CHECK(r.cfg.heartbeat_ms == 2000);   // flag beats file
  CHECK(r.cfg.origins.empty());        // [] means any origin, not the origin "[]"
  CHECK(r.cfg.namespace_for("a.b").snapshot == 2);
  auto bad = load_config(std::string("/nonexistent/x.conf"), {});
  CHECK_FALSE(bad.error.empty());
}

TEST_CASE("http: per-address connections, the loopback reserve and the reply budget",
          "[config]") {
  config c;
  CHECK(c.http_max_connections_per_ip == 1024);
  CHECK(c.loopback_reserve == 8);
  CHECK(c.max_pending_reply_bytes == 1048576);
  CHECK(c.max_pending_reply_bytes_total == 67108864);
  CHECK(apply_setting(c, "http.max_connections_per_ip", "5").empty());
  CHECK(c.http_max_connections_per_ip == 5);
  CHECK(c.max_connections_per_ip == 10000); // quota.max_connections_per_ip (WebSocket) stays
  CHECK(apply_setting(c, "http.loopback_reserve", "0").empty());
  CHECK(c.loopback_reserve == 0);
  CHECK(apply_setting(c, "http.max_pending_reply_bytes", "65536").empty());
  CHECK(apply_setting(c, "http.max_pending_reply_bytes_total", "1048576").empty());
  CHECK(validate_config(c).empty());
  c.http_max_connections_per_ip = 0;
  CHECK_FALSE(validate_config(c).empty());
  c = config{};
  c.max_pending_reply_bytes_total = c.max_pending_reply_bytes - 1;
  CHECK_FALSE(validate_config(c).empty());
  ::setenv("SWITCHYARD_HTTP_MAX_CONNECTIONS_PER_IP", "7", 1);
  auto r = load_config(std::nullopt, {});
  ::unsetenv("SWITCHYARD_HTTP_MAX_CONNECTIONS_PER_IP");
  REQUIRE(r.error.empty());
  CHECK(r.cfg.http_max_connections_per_ip == 7);
}

TEST_CASE("describe_config masks secrets", "[config]") {
  config c;
  c.jwt_secret = "super-secret-value";
  auto text = describe_config(c);
  CHECK(text.find("super-secret-value") == std::string::npos);
  CHECK(text.find("realtime.topic_limit") != std::string::npos);
}

TEST_CASE("require_namespace: only topics under a namespace are known", "[config]") {
  config c;
  CHECK(c.known_topic("anything")); // off by default
  c.require_namespace = true;
  c.namespaces = {{"orders.", 500, 0, "", ""}, {"postgres:", 500, 0, "", ""}};
  CHECK(c.known_topic("orders.eu"));
  CHECK(c.known_topic("postgres:products"));
  CHECK(c.known_topic("log.event"));
  CHECK_FALSE(c.known_topic("payments"));
  CHECK(c.known_topic("postgres:*")); // inside a namespace
  CHECK(c.known_topic("orders.e*"));
  CHECK(c.known_topic("post*"));      // covers one
  CHECK(c.known_topic("*"));
  CHECK_FALSE(c.known_topic("pay*"));
}

TEST_CASE("the sample config loads and shows every key", "[config]") {
  std::string path = SWITCHYARD_SOURCE_DIR "/config/switchyard.conf";
  auto r = load_config(path, {});
  INFO(r.error);
  REQUIRE(r.error.empty());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto described = boost::json::parse(describe_config(r.cfg)).as_object();
  for (const auto& kv : described) {
    std::string key(kv.key());
    auto leaf = key.substr(key.rfind('.') + 1);
    INFO(key);
    CHECK(text.find("\"" + leaf + "\"") != std::string::npos);
  }
}

TEST_CASE("tls: both files or neither, readable, a known minimum version", "[config][tls]") {
  config c;
  CHECK(c.tls_cert_file.empty());
  CHECK(c.tls_key_file.empty());
  CHECK(c.tls_min_version == "1.2");

  // Any readable file passes here; the PEM contents are checked by net/http/tls_context at startup.
  std::string cert = SWITCHYARD_SOURCE_DIR "/config/switchyard.conf";
  SECTION("half-configured TLS is refused, naming the missing key") {
    REQUIRE(apply_setting(c, "tls.cert_file", cert).empty());
    auto err = validate_config(c);
    CHECK(err.find("tls.cert_file and tls.key_file must be set together") != std::string::npos);
    CHECK(err.find("tls.key_file is empty") != std::string::npos);
    c = config{};
    REQUIRE(apply_setting(c, "tls.key_file", cert).empty());
    CHECK(validate_config(c).find("tls.cert_file is empty") != std::string::npos);
  }
  SECTION("unreadable files are named") {
    REQUIRE(apply_setting(c, "tls.cert_file", cert).empty());
    REQUIRE(apply_setting(c, "tls.key_file", "/nonexistent/key.pem").empty());
    CHECK(validate_config(c) == "tls.key_file: cannot read /nonexistent/key.pem");
  }
  SECTION("min_version is 1.2 or 1.3") {
    REQUIRE(apply_setting(c, "tls.cert_file", cert).empty());
    REQUIRE(apply_setting(c, "tls.key_file", cert).empty());
    CHECK(validate_config(c).empty());
    REQUIRE(apply_setting(c, "tls.min_version", "1.3").empty());
    CHECK(validate_config(c).empty());
    REQUIRE(apply_setting(c, "tls.min_version", "1.1").empty());
    CHECK(validate_config(c).find("tls.min_version") == 0);
  }
  SECTION("environment names") {
    ::setenv("SWITCHYARD_TLS_CERT_FILE", cert.c_str(), 1);
    auto r = load_config(std::nullopt, {});
    ::unsetenv("SWITCHYARD_TLS_CERT_FILE");
    CHECK(r.cfg.tls_cert_file == cert);
    CHECK(r.error.find("must be set together") != std::string::npos);
  }
}

TEST_CASE("integer settings refuse values their type cannot hold", "[config]") {
  // Found by tests/fuzz/fuzz_config: 65536 became cluster.port 0 and 2^64-1 a shutdown grace of
  // -1 ms, silently.
  config c;
  CHECK_FALSE(apply_setting(c, "cluster.port", "65536").empty());
  CHECK(c.cluster_port == 0);
  CHECK(apply_setting(c, "cluster.port", "65535").empty());
  CHECK(c.cluster_port == 65535);
  CHECK_FALSE(apply_setting(c, "history.max_limit", "8589934590").empty());
  CHECK(c.history_max_limit == 1000);
  CHECK_FALSE(apply_setting(c, "shutdown_grace_ms", "18446744073709551615").empty());
  CHECK_FALSE(apply_setting(c, "auth.leeway_s", "9223372036854775808").empty());
  CHECK(c.shutdown_grace_ms == 3000);
  CHECK(c.auth_leeway_s == 30);
  CHECK(apply_setting(c, "shutdown_grace_ms", "9223372036854775807").empty());
  CHECK(c.shutdown_grace_ms == 9223372036854775807);
  auto err = apply_config_text(c, R"({"cluster":{"port":65536}})");
  CHECK(err.find("cluster.port") != std::string::npos);
}

TEST_CASE("history_ttl_s is per namespace with history.ttl_s as its default", "[config][ttl]") {
  config c;
  CHECK(c.history_ttl_s == 0);
  CHECK(c.namespace_for("any").history_ttl_s == 0);
  REQUIRE(apply_setting(c, "history.ttl_s", "60").empty());
  REQUIRE(apply_setting(c, "namespaces",
                        R"([{"prefix":"short.","history_ttl_s":1},{"prefix":"keep.","history_ttl_s":0},)"
                        R"({"prefix":"plain.","history_size":7}])")
            .empty());
  CHECK(c.namespace_for("short.x").history_ttl_s == 1);
  CHECK(c.namespace_for("keep.x").history_ttl_s == 0); // 0 in a namespace: no time limit
  CHECK(c.namespace_for("plain.x").history_ttl_s == 60); // unset: history.ttl_s
  CHECK(c.namespace_for("plain.x").history_size == 7);
  CHECK(c.namespace_for("other").history_ttl_s == 60);
  CHECK(validate_config(c).empty());
  // check-config prints what was set, and the printed list parses back to the same settings.
  auto printed = boost::json::serialize(find_config_key("namespaces")->get(c));
  CHECK(printed.find(R"("history_ttl_s":1)") != std::string::npos);
  CHECK(printed.find(R"("history_ttl_s":0)") != std::string::npos);
  config back;
  REQUIRE(apply_setting(back, "namespaces", printed).empty());
  CHECK(back.namespace_for("plain.x").history_ttl_s == 0); // back's history.ttl_s is 0
  CHECK(back.namespace_for("short.x").history_ttl_s == 1);
}

TEST_CASE("bad history TTLs are refused with the key named", "[config][ttl]") {
  config c;
  for (const char* bad : {R"([{"prefix":"a.","history_ttl_s":-1}])",
                          R"([{"prefix":"a.","history_ttl_s":1.5}])",
                          R"([{"prefix":"a.","history_ttl_s":"60"}])",
                          R"([{"prefix":"a.","history_ttl_s":315360001}])"}) {
    INFO(bad);
    auto err = apply_setting(c, "namespaces", bad);
    CHECK(err.find("history_ttl_s") != std::string::npos);
  }
  CHECK(apply_setting(c, "namespaces", R"([{"prefix":"a.","history_ttl_s":315360000}])").empty());
  CHECK_FALSE(apply_setting(c, "history.ttl_s", "-5").empty());
  CHECK_FALSE(apply_setting(c, "history.ttl_s", "soon").empty());
  REQUIRE(apply_setting(c, "history.ttl_s", "315360001").empty()); // range: validate_config
  CHECK(validate_config(c).find("history.ttl_s") != std::string::npos);
}
