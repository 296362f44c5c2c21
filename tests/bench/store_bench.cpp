// sy_store_bench: appends/s and append -> answer latency of the history store actor, with a
// number of concurrent senders each keeping one append in flight (a channel waiting for its
// publish to be durable). Bounded: every sender makes --appends appends, then it prints one
// line and removes its directory. Not run by ctest (timing depends on the machine's disk).
//
//   sy_store_bench [--sync batch|none] [--senders 8] [--appends 2000] [--bytes 300] [--dir D]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "actors/history_store_actor.hpp"

using namespace sy;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  bool sync = true;
  int senders = 8;
  int appends = 2000;
  std::size_t bytes = 300;
  std::string dir;
};

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--sync" && (v == "batch" || v == "none"))
      o.sync = v == "batch";
    else if (k == "--senders")
      o.senders = std::clamp(std::atoi(v.c_str()), 1, 256);
    else if (k == "--appends")
      o.appends = std::clamp(std::atoi(v.c_str()), 1, 1000000);
    else if (k == "--bytes")
      o.bytes = static_cast<std::size_t>(std::clamp(std::atoi(v.c_str()), 2, 1 << 20));
    else if (k == "--dir")
      o.dir = v;
    else
      return false;
  }
  return argc % 2 == 1;
}

double percentile(std::vector<double>& v, double p) {
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
  return v[i];
}

} // namespace

int main(int argc, char** argv) {
  options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: sy_store_bench [--sync batch|none] [--senders N] "
                         "[--appends N] [--bytes N] [--dir D]\n");
    return 2;
  }
  bool own_dir = o.dir.empty();
  if (own_dir)
    o.dir = (std::filesystem::temp_directory_path()
             / ("sy-store-bench-" + std::to_string(::getpid())))
              .string();
  store_options so;
  so.sync = o.sync;
  auto db = open_store(o.dir, so);
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 2;
  }
  std::vector<double> latencies_us;
  store_stats stats;
  double seconds = 0;
  int failures = 0;
  {
    caf::actor_system_config cfg;
    caf::actor_system sys{cfg};
    auto store = spawn_history_store(sys, std::shared_ptr<rocksdb_store>(std::move(*db)));
    std::vector<std::vector<double>> per_sender(static_cast<std::size_t>(o.senders));
    std::vector<int> failed(static_cast<std::size_t>(o.senders), 0);
    std::string data = "\"" + std::string(o.bytes - 2, 'x') + "\"";
    auto t0 = clock_type::now();
    std::vector<std::thread> threads;
    for (int s = 0; s < o.senders; ++s)
      threads.emplace_back([&, s] {
        caf::scoped_actor self{sys};
        auto& lat = per_sender[static_cast<std::size_t>(s)];
        lat.reserve(static_cast<std::size_t>(o.appends));
        auto channel = "bench." + std::to_string(s);
        for (int i = 1; i <= o.appends; ++i) {
          auto e = std::make_shared<encoded_event>();
          e->ev.channel = channel;
          e->ev.epoch = 1;
          e->ev.seq = static_cast<std::uint64_t>(i);
          e->ev.timestamp_ms = wall_clock_ms();
          e->ev.type = "bench";
          e->ev.data_json = data;
          e->ev.metadata_json = "{}";
          store_append a{channel, 1, e->ev.seq + 1, {std::move(e)}, {}};
          auto start = clock_type::now();
          self->request(store, 10s, st_append_atom::value, std::move(a))
            .receive(
              [&](const store_written&) {
                lat.push_back(
                  std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
              },
              [&](const caf::error&) { ++failed[static_cast<std::size_t>(s)]; });
        }
      });
    for (auto& t : threads)
      t.join();
    seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    caf::scoped_actor self{sys};
    self->request(store, 10s, st_stats_atom::value)
      .receive([&](const store_stats& s) { stats = s; }, [](const caf::error&) {});
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
    for (std::size_t s = 0; s < per_sender.size(); ++s) {
      latencies_us.insert(latencies_us.end(), per_sender[s].begin(), per_sender[s].end());
      failures += failed[s];
    }
  }
  if (own_dir)
    std::filesystem::remove_all(o.dir);
  if (latencies_us.empty()) {
    std::fprintf(stderr, "no append was answered (%d failures)\n", failures);
    return 1;
  }
  auto n = latencies_us.size();
  std::printf("sync=%s senders=%d bytes=%zu appends=%zu failures=%d: %.0f appends/s, "
              "p50 %.0f us, p99 %.0f us, %llu batches (%.1f appends per batch, max %u)\n",
              o.sync ? "batch" : "none", o.senders, o.bytes, n, failures,
              static_cast<double>(n) / seconds, percentile(latencies_us, 0.50),
              percentile(latencies_us, 0.99), static_cast<unsigned long long>(stats.batches),
              stats.batches ? static_cast<double>(stats.writes) / static_cast<double>(stats.batches)
                            : 0.0,
              stats.max_batch_writes);
  return failures == 0 ? 0 : 1;
}
