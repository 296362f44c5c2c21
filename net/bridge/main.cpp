// switchyard: serve | publish | tail | token | check-config | backup
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <malloc.h>
#include <thread>

#include <boost/json.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scheduler/coordinator.hpp>
#include <spdlog/spdlog.h>

#include "actors/affine_sharing.hpp"
#include "actors/directory.hpp"
#include "actors/audit.hpp"
#include "actors/cluster.hpp"
#include "actors/sources.hpp"
#include "actors/stats.hpp"
#include "metrics/source_gauges.hpp"
#include "actors/history_store_actor.hpp"
#include "actors/connections.hpp"
#include "actors/quota.hpp"
#include "actors/rocksdb_store.hpp"
#include "config/config.hpp"
#include "net/bridge/app.hpp"
#include "net/bridge/cli_args.hpp"
#include "net/bridge/cli_backup.hpp"
#include "net/bridge/cli_json.hpp"
#include "net/bridge/cli_publish.hpp"
#include "net/bridge/cli_tail.hpp"
#include "net/bridge/cli_token.hpp"
#include "net/bridge/log_setup.hpp"
#include "net/auth/auth.hpp"
#include "net/http/http_server.hpp"
#include "net/bridge/rest_api.hpp"
#include "net/bridge/server_config.hpp"

namespace {

sy::tls_options tls_from(const sy::config& cfg) {
  return {cfg.tls_cert_file, cfg.tls_key_file, cfg.tls_min_version};
}

// storage.engine = rocksdb: the node's store, opened before anything serves. A failure names
// the directory or the file (locked by another daemon, corrupt, unreadable).
sy::store_expected<std::shared_ptr<sy::rocksdb_store>> open_configured_store(const sy::config& cfg) {
  sy::store_options o;
  o.sync = cfg.storage_sync == "batch";
  o.cache_bytes = sy::store_block_cache_bytes(cfg);
  o.write_buffer_bytes = sy::store_write_buffer_bytes(cfg);
  auto opened = sy::open_store(cfg.storage_dir, o);
  if (!opened)
    return opened.error();
  return std::shared_ptr<sy::rocksdb_store>(std::move(*opened));
}

// Every node opens its own store, clustered or not: in a cluster the owner stores what it
// sequences and each relay what it receives (CLUSTER.md).
bool store_in_use(const sy::config& cfg) {
  return cfg.storage_engine == "rocksdb";
}

// check-config opens an existing store to check it (and closes it at once); it never creates
// the directory, and a store held by a running daemon is fine.
int check_store(const sy::config& cfg) {
  if (!store_in_use(cfg))
    return 0;
  std::error_code ec;
  if (!std::filesystem::exists(cfg.storage_dir, ec)) {
    std::cerr << "storage.dir " << cfg.storage_dir << " does not exist yet: serve creates it\n";
    return 0;
  }
  auto opened = open_configured_store(cfg);
  if (!opened && opened.error().code == sy::store_errc::locked) {
    std::cerr << "storage.dir " << cfg.storage_dir << " is in use by a running daemon\n";
    return 0;
  }
  if (!opened) {
    std::cerr << "switchyard: cannot open the store: " << opened.error().message << "\n";
    return 2;
  }
  return 0;
}

// SIGTERM/SIGINT: new requests get 503 shutting_down; the publishes already handed to the
// router are answered (their events are stored by then); every channel fans out what it has
// pending, so each acknowledged event is in its subscribers' session mailboxes; then the
// sessions close with 1001 behind those deliveries. All of it within shutdown_grace_ms.
void drain(sy::http_server& server, caf::actor_system& sys, const sy::directory_actor& directory,
           std::int64_t grace_ms) {
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  auto left = [&] {
    auto used = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
    return std::max<std::int64_t>(grace_ms - used.count(), 1);
  };
  server.begin_drain();
  auto unanswered = server.await_answers(left());
  std::size_t flushed = 0;
  caf::scoped_actor self{sys};
  self->request(directory, std::chrono::milliseconds(left()), sy::drain_atom::value)
    .receive([&](std::size_t n) { flushed = n; },
             [&](const caf::error& err) {
               spdlog::warn("shutdown: the channels did not drain: {}", sys.render(err));
             });
  auto drained_ms =
    std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
  spdlog::info("shutdown: drained in {} ms ({} requests unanswered, {} events flushed); "
               "closing connections",
               drained_ms, unanswered, flushed);
  server.shutdown(left());
}

int cmd_serve(const sy::config& cfg_in) {
  // Large buffers (history pages, the replies that carry them) go back to the system when
  // freed. glibc's default raises its mmap threshold to the size of the last large block
  // freed, after which pages came from the arenas and stayed in RSS: 12 reads of a 10 MB page
  // by clients that never read grew RSS by 86 MB with one page actually waiting, 10 MB with
  // the threshold fixed at 1 MiB (glibc's M_MMAP_THRESHOLD; MALLOC_MMAP_THRESHOLD_ overrides).
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_"))
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
  auto cfg = std::make_shared<const sy::config>(cfg_in);
  // Logs go to stderr: stdout carries only the "listening on" line that harnesses parse.
  sy::log_setup logs(*cfg);
  std::shared_ptr<sy::rocksdb_store> db;
  if (store_in_use(*cfg)) {
    auto opened = open_configured_store(*cfg);
    if (!opened) {
      std::cerr << "switchyard: cannot open the store: " << opened.error().message << "\n";
      return 2;
    }
    db = std::move(*opened);
    spdlog::info("storage: rocksdb in {} (sync {})", cfg->storage_dir, cfg->storage_sync);
  }
  if (cfg->uses_dev_credentials())
    spdlog::warn("using the built-in development JWT secret or API key: set "
                 "SWITCHYARD_JWT_SECRET and SWITCHYARD_API_KEY before exposing this server");

  caf::actor_system_config caf_cfg;
  // Sharing beats work stealing 5-10x for fan-out on 2 cores: 1 event to 10,000 actors took
  // 58-95 ms with stealing, 9-12 ms with sharing.
  caf_cfg.set("scheduler.policy", cfg->scheduler_policy == "stealing" ? caf::atom("stealing")
                                                                      : caf::atom("sharing"));
  if (cfg->scheduler_policy == "affine") // ours (actors/affine_sharing.hpp), installed as the
    caf_cfg.module_factories.push_back(  // scheduler module, which CAF then uses as is
      [](caf::actor_system& sys) -> caf::actor_system::module* {
        return new caf::scheduler::coordinator<sy::affine_sharing>(sys);
      });
  if (cfg->scheduler_threads > 0)
    caf_cfg.set("scheduler.max-threads", cfg->scheduler_threads);
  // Remote message types are registered on every node (clustered or not, so that a node's
  // type table never depends on its flags); the middleman only runs in a cluster.
  sy::register_cluster_types(caf_cfg);
  if (cfg->cluster_port > 0) {
    caf_cfg.load<caf::io::middleman>();
  }
  caf::actor_system sys{caf_cfg};
  sy::set_filter_limits(cfg->filter); // before any I/O thread decodes a subscribe frame

  sy::store_actor store;
  if (db)
    store = sy::spawn_history_store(sys, std::move(db)); // it closes the database when it exits
  auto directory = sy::spawn_directory(sys, cfg, store);
  auto quota = sy::spawn_quota(sys, cfg);
  auto audit = sy::spawn_audit(sys, directory, cfg);
  auto connections = sy::spawn_connections(sys, cfg, audit);
  // Change-data sources (CHANGE-CAPTURE.md): in a cluster they wait for the member list.
  std::vector<std::string> source_ids;
  for (const auto& s : cfg->sources)
    source_ids.push_back(s.id);
  sy::metrics::init_source_gauges(source_ids);
  std::string node_id;
  if (cfg->cluster_port > 0)
    node_id = cfg->cluster_node_id.empty()
                ? cfg->cluster_host + ":" + std::to_string(cfg->cluster_port)
                : cfg->cluster_node_id;
  sy::sources_actor sources;
  if (!cfg->sources.empty())
    sources = sy::spawn_sources(sys, {cfg, directory, node_id, cfg->cluster_port > 0});
  std::shared_ptr<const sy::authenticator> auth = sy::make_authenticator(*cfg);
  sy::cluster_actor cluster;
  if (cfg->cluster_port > 0) {
    sy::cluster_args ca;
    ca.self.host = cfg->cluster_host;
    ca.self.port = cfg->cluster_port;
    ca.self.node_id = node_id;
    for (const auto& j : cfg->cluster_join) {
      std::string h;
      std::uint16_t p = 0;
      if (sy::split_host_port(j, h, p))
        ca.seeds.emplace_back(h, p);
    }
    ca.directory = directory;
    ca.sources = sources;
    ca.cfg = cfg;
    cluster = sy::spawn_cluster(sys, std::move(ca));
    auto published = sys.middleman().publish(cluster, cfg->cluster_port,
                                             cfg->cluster_host.c_str(), true);
    if (!published) {
      spdlog::error("cluster: cannot listen on {}:{}: {}", cfg->cluster_host, cfg->cluster_port,
                    sys.render(published.error()));
      for (auto a : {caf::actor_cast<caf::actor>(directory), caf::actor_cast<caf::actor>(quota),
                     caf::actor_cast<caf::actor>(audit), caf::actor_cast<caf::actor>(cluster),
                     caf::actor_cast<caf::actor>(connections),
                     caf::actor_cast<caf::actor>(sources)})
        if (a)
          caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
      return 1;
    }
    spdlog::info("cluster: node {} on {}:{}, joining {}", node_id, cfg->cluster_host,
                 cfg->cluster_port, cfg->cluster_join.size());
  }
  auto stats = sy::spawn_stats(sys, {directory, cluster, cfg});
  auto rest = std::make_shared<sy::rest_api>(sys, directory, cfg, auth, audit, cluster,
                                             store, connections, sources);

  auto opts = sy::server_options_from(*cfg);
  auto server = sy::http_server::make(opts, sy::make_app(sys, directory, quota, audit, cfg, auth, rest,
                                                               connections));
  if (auto err = server->listen(); !err.empty()) {
    spdlog::error("{}", err);
    caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(quota, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(audit, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(connections, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(stats, caf::exit_reason::user_shutdown);
    if (sources)
      caf::anon_send_exit(sources, caf::exit_reason::user_shutdown);
    if (store)
      caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    return 1;
  }
  // Test harnesses and run.sh read this line to learn the (possibly ephemeral) port.
  // The effective configuration, secrets masked, is the first audit record.
  caf::anon_send(audit, sy::audit_atom::value, std::string("config.loaded"),
                 "{\"config\":" + sy::describe_config(*cfg) + "}");
  // Harnesses parse the port after the last ':' up to the first non-digit: keep " (tls)" after it.
  std::printf("switchyard listening on %s:%u%s\n", opts.host.c_str(), server->port(),
              opts.tls.enabled() ? " (tls)" : "");
  std::fflush(stdout);
  // With realtime.enabled = false every upgrade is refused: no WebSocket endpoint is ready.
  if (cfg->realtime_enabled)
    spdlog::info("ready: {} and {}://{}:{}/realtime (scheduler {}, io threads {})",
                 opts.tls.enabled() ? "HTTPS" : "HTTP", opts.tls.enabled() ? "wss" : "ws",
                 opts.host, server->port(), cfg->scheduler_policy, cfg->io_threads);
  else
    spdlog::info("ready: {} on {}:{}, WebSocket endpoints disabled (realtime.enabled = false) "
                 "(scheduler {}, io threads {})",
                 opts.tls.enabled() ? "HTTPS" : "HTTP", opts.host, server->port(),
                 cfg->scheduler_policy, cfg->io_threads);
  server->run();
  server->wait_for_signal();
  spdlog::info("shutting down: draining (grace {} ms)", cfg->shutdown_grace_ms);

  // Whatever hangs, the process must end promptly after a signal.
  std::atomic<bool> done{false};
  std::thread watchdog([&done, grace = cfg->shutdown_grace_ms] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace + 3000);
    while (!done.load() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!done.load()) {
      std::fprintf(stderr, "switchyard: shutdown did not finish in time, exiting\n");
      std::_Exit(0);
    }
  });
  drain(*server, sys, directory, cfg->shutdown_grace_ms);
  caf::anon_send_exit(stats, caf::exit_reason::user_shutdown); // publishes nothing after this
  if (sources) // its sources stop reading; what they published but was not stored is resent
    caf::anon_send_exit(sources, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(directory, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(quota, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(audit, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(connections, caf::exit_reason::user_shutdown);
  if (cluster)
    caf::anon_send_exit(cluster, caf::exit_reason::user_shutdown);
  // The store writes what is staged, then closes the database (a clean close syncs the WAL).
  if (store)
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  server.reset();
  done = true;
  watchdog.join();
  spdlog::info("stopped");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  // Events of tens of KiB come and go by the thousand: each allocation from 32 KiB up gets its
  // own mapping, returned to the system when freed. glibc's default threshold rises after the
  // first large frees, and the payloads then stay resident as heap fragments past the
  // storage.cache_bytes bound.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024);
  auto c = sy::parse_cli(argc, argv);
  if (c.command == "--help" || c.command == "-h" || c.command == "help") {
    std::cout << sy::cli_usage;
    return sy::exit_ok;
  }
  static const std::set<std::string> commands = {"serve", "publish", "tail", "token",
                                                 "check-config", "backup"};
  if (!c.error.empty() || commands.count(c.command) == 0) {
    std::cerr << "switchyard: " << (c.error.empty() ? "unknown command " + c.command : c.error)
              << "\n\n"
              << sy::cli_usage;
    return sy::exit_usage;
  }
  auto loaded = sy::load_config(c.config_file, c.sets);
  if (loaded.error.empty())
    loaded.error = sy::auth_config_error(loaded.cfg); // keys that don't parse: refuse to start
  if (loaded.error.empty())
    loaded.error = sy::tls_config_error(tls_from(loaded.cfg)); // same for certificates
  if (!loaded.error.empty()) {
    std::cerr << "switchyard: invalid configuration: " << loaded.error << "\n";
    return 2;
  }
  if (c.command == "check-config") {
    if (auto rc = check_store(loaded.cfg); rc != 0)
      return rc;
    std::cout << sy::pretty_json(boost::json::parse(sy::describe_config(loaded.cfg))) << "\n";
    std::cerr << "configuration OK"
              << (loaded.source_file.empty() ? "" : " (" + loaded.source_file + ")") << "\n";
    return 0;
  }
  if (c.command == "token")
    return sy::cmd_token(c, loaded.cfg);
  if (c.command == "publish")
    return sy::cmd_publish(c, loaded.cfg);
  if (c.command == "tail")
    return sy::cmd_tail(c, loaded.cfg);
  if (c.command == "backup")
    return sy::cmd_backup(c.to, c.url, c.api_key, loaded.cfg);
  return cmd_serve(loaded.cfg);
}
