// sy_loadgen: WebSocket fan-out load generator for Switchyard and its peers (Nchan, Node ws).
// One thread, one epoll set: N subscribers + a few keep-alive HTTP publishers. Phases:
// connect+subscribe → (idle: sample RSS) | publish M events → drain → report JSON on stdout.
// Every phase is bounded by --deadline-s; on a deadline it still reports and exits 3.
// --room R: the room join-storm mode instead (room_storm.hpp).

#include "clock.hpp"
#include "http_publisher.hpp"
#include "options.hpp"
#include "room_storm.hpp"
#include "sock.hpp"
#include "stats.hpp"
#include "ws_client.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace sy::bench {
namespace {

constexpr int connect_retries = 3;
constexpr std::size_t max_error_lines = 5;  // keep stderr readable with 10k failing sockets

struct subscriber {
  ws_conn conn;
  seen_set seen;
  uint8_t attempts = 0;
  bool open = false;
  bool ready = false;  // subscription confirmed (or a probe arrived)
  bool failed = false; // gave up (connect) or lost during the run
};

class bench final : public ws_handler, public http_handler {
public:
  explicit bench(const options& o) : o_(o) {}

  int run();

private:
  // ws_handler
  void on_ws_open(std::size_t id) override;
  void on_ws_message(std::size_t id, const char* data, std::size_t len) override;
  void on_ws_closed(std::size_t id, const char* why) override;
  // http_handler
  void on_http_response(std::size_t id, int status) override;
  void on_http_failed(std::size_t id, const char* why) override;

  bool setup();
  void poll(int timeout_ms);
  void pace_connects();
  bool phase_subscribe();
  bool wait_for(double seconds, bool (bench::*done)() const);
  bool phase_publish();
  bool phase_drain();
  void publish_next(std::size_t pub);
  void pump_publishers();
  std::string make_request(long index, uint64_t t_ns, bool probe) const;
  void note_error(const char* fmt, const char* a, std::size_t b = 0);
  void report(bool complete, const char* error);

  bool never() const { return false; }
  bool drained() const {
    return unique_deliveries_ >= static_cast<uint64_t>(ready_ - ready_lost_) * publish_ok_;
  }

  const options& o_;
  int epfd_ = -1;
  sockaddr_in dst_{};
  std::vector<sockaddr_in> sources_;
  std::string host_port_, sub_path_, pub_head_;
  uint64_t run_nonce_ = now_ns();
  std::vector<subscriber> subs_;
  std::deque<std::size_t> to_start_;
  std::size_t pending_ = 0;  // handshakes in flight
  std::size_t started_total_ = 0;
  std::size_t settled_ = 0;  // subscribers either ready-to-probe/confirmed or given up
  std::size_t open_ = 0, ready_ = 0, ready_lost_ = 0, failed_ = 0, connect_fail_ = 0, disconnected_ = 0;
  uint64_t connect_t0_ = 0;
  std::vector<char> scratch_;

  std::vector<http_conn> pubs_;
  std::vector<long> pub_index_;  // event index in flight per publisher (-1: probe)
  std::vector<std::size_t> free_pubs_;
  std::vector<bool> published_ok_;
  std::size_t next_event_ = 0;
  uint64_t publish_t0_ = 0, publish_t1_ = 0, last_delivery_ns_ = 0;
  uint64_t publish_ok_ = 0, publish_fail_ = 0, probes_sent_ = 0;
  bool publishing_ = false;

  uint64_t deliveries_ = 0, unique_deliveries_ = 0, duplicates_ = 0, unparsed_ = 0;
  uint64_t server_errors_ = 0;
  latency_recorder lat_;
  std::size_t errors_printed_ = 0;

  proc_sample rss_before_, rss_subscribed_, cpu0_, cpu1_;
  double connect_s_ = 0;
};

void bench::note_error(const char* fmt, const char* a, std::size_t b) {
  if (errors_printed_++ < max_error_lines) {
    std::fprintf(stderr, fmt, a, b);
    std::fputc('\n', stderr);
  }
}

bool bench::setup() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0 || !make_addr(o_.host.c_str(), o_.port, dst_)) {
    std::fprintf(stderr, "bad host %s\n", o_.host.c_str());
    return false;
  }
  sources_ = loopback_sources(o_.source_addrs);
  host_port_ = o_.host + ":" + std::to_string(o_.port);
  switch (o_.target) {
    case target_kind::switchyard:
      sub_path_ = "/realtime?token=" + o_.token;
      pub_head_ = "POST /v1/channels/" + o_.topic + "/events HTTP/1.1\r\nHost: " + host_port_ +
                  "\r\nAuthorization: Bearer " + o_.api_key + "\r\n";
      break;
    case target_kind::nchan:
      sub_path_ = "/sub/" + o_.topic;
      pub_head_ = "POST /pub/" + o_.topic + " HTTP/1.1\r\nHost: " + host_port_ + "\r\n";
      break;
    case target_kind::ws:
      sub_path_ = "/sub";
      pub_head_ = "POST /pub HTTP/1.1\r\nHost: " + host_port_ + "\r\n";
      break;
  }
  pub_head_ += "Content-Type: application/json\r\nContent-Length: ";
  scratch_.resize(256 * 1024);
  subs_.resize(o_.subscribers);
  for (std::size_t i = 0; i < subs_.size(); ++i) {
    subs_[i].seen.resize(o_.events);
    to_start_.push_back(i);
  }
  published_ok_.assign(o_.events, false);
  lat_.reserve(std::min<std::size_t>(o_.subscribers * o_.events, 64u << 20));
  std::size_t npub = o_.concurrency;
  pubs_.resize(npub);
  pub_index_.assign(npub, -2);
  for (std::size_t j = 0; j < npub; ++j) {
    pubs_[j].init(epfd_, o_.subscribers + j, dst_);
    free_pubs_.push_back(npub - 1 - j);
  }
  return true;
}

std::string bench::make_request(long index, uint64_t t_ns, bool probe) const {
  std::string data;
  if (probe) {
    data = "{\"probe\":" + std::to_string(index) + ",\"t\":" + std::to_string(t_ns) + "}";
  } else {
    data = "{\"i\":" + std::to_string(index) + ",\"t\":" + std::to_string(t_ns) + ",\"p\":\"";
    std::size_t fixed = data.size() + 2;  // + closing quote and brace
    if (o_.payload_bytes > fixed) data.append(o_.payload_bytes - fixed, 'x');
    data += "\"}";
  }
  std::string body = o_.target == target_kind::switchyard ? "{\"data\":" + data + "}" : data;
  if (o_.unique_keys && !probe) {
    // The run's start time keeps keys unique across runs against one data directory.
    body.insert(body.size() - 1, ",\"idempotencyKey\":\"k-" + std::to_string(run_nonce_) + "-" +
                                     std::to_string(index) + "\"");
  }
  if (o_.channels <= 1) return pub_head_ + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string head = pub_head_;
  std::string chan = o_.topic + "." + std::to_string(static_cast<std::size_t>(index) % o_.channels);
  head.replace(head.find("/v1/channels/") + 13, o_.topic.size(), chan);
  return head + std::to_string(body.size()) + "\r\n\r\n" + body;
}

void bench::poll(int timeout_ms) {
  epoll_event evs[1024];
  int n = ::epoll_wait(epfd_, evs, 1024, timeout_ms);
  for (int k = 0; k < n; ++k) {
    uint64_t tag = evs[k].data.u64;
    if (tag < subs_.size()) {
      subs_[tag].conn.handle(evs[k].events, *this, tag, scratch_.data(), scratch_.size());
    } else {
      std::size_t j = tag - subs_.size();
      if (j < pubs_.size())
        pubs_[j].handle(evs[k].events, *this, j, scratch_.data(), scratch_.size());
    }
  }
}

// ---- subscribers -----------------------------------------------------------------------------

void bench::on_ws_open(std::size_t id) {
  auto& s = subs_[id];
  s.open = true;
  ++open_;
  if (o_.target == target_kind::switchyard) {
    s.conn.send_text("{\"op\":\"subscribe\",\"topics\":[\"" + o_.topic + "\"]}");
  } else {
    // Peers subscribe by URL: the socket counts as settled; a probe publish confirms it.
    --pending_;
    ++settled_;
  }
}

void bench::on_ws_message(std::size_t id, const char* data, std::size_t len) {
  auto& s = subs_[id];
  const char* end = data + len;
  const char* body = data;
  if (o_.target == target_kind::switchyard) {
    if (memmem(data, len, "\"op\":\"subscribed\"", 17)) {
      if (!s.ready) {
        s.ready = true;
        ++ready_;
        --pending_;
        ++settled_;
      }
      return;
    }
    if (memmem(data, len, "\"op\":\"error\"", 12)) {
      ++server_errors_;
      note_error("server error frame: %.200s", std::string(data, std::min<std::size_t>(len, 200)).c_str());
      return;
    }
    const char* d = static_cast<const char*>(memmem(data, len, "\"data\":", 7));
    if (!d) return;  // heartbeat, pong
    body = d + 7;
  } else if (memmem(data, len, "\"probe\":", 8)) {
    if (!s.ready) {
      s.ready = true;
      ++ready_;
    }
    return;
  }
  const char* ip = static_cast<const char*>(memmem(body, end - body, "\"i\":", 4));
  const char* tp = static_cast<const char*>(memmem(body, end - body, "\"t\":", 4));
  if (!ip || !tp) {
    ++unparsed_;
    return;
  }
  uint64_t now = now_ns();
  unsigned long long i = std::strtoull(ip + 4, nullptr, 10);
  unsigned long long t = std::strtoull(tp + 4, nullptr, 10);
  ++deliveries_;
  last_delivery_ns_ = now;
  lat_.add(now > t ? now - t : 0);
  if (s.seen.mark(i)) ++unique_deliveries_;
  else ++duplicates_;
}

void bench::on_ws_closed(std::size_t id, const char* why) {
  auto& s = subs_[id];
  bool was_open = s.open;
  if (was_open) {
    s.open = false;
    --open_;
  }
  // A socket is "pending" until settled: Switchyard until its confirmation, peers until open.
  bool was_pending = o_.target == target_kind::switchyard ? !s.ready : !was_open;
  if (!was_pending) {
    // Lost after subscribing: its missing events count as lost in the report.
    ++disconnected_;
    if (s.ready) ++ready_lost_;
    s.failed = true;
    note_error("subscriber closed: %s (#%zu)", why, id);
    return;
  }
  --pending_;
  ++connect_fail_;
  note_error("connect/subscribe failed: %s (#%zu)", why, id);
  if (s.attempts < connect_retries && !publishing_) {
    to_start_.push_back(id);
  } else {
    s.failed = true;
    ++failed_;
  }
}

void bench::pace_connects() {
  double elapsed = static_cast<double>(now_ns() - connect_t0_) / 1e9;
  auto allowed = static_cast<std::size_t>(o_.connect_rate * elapsed) + 1;
  while (!to_start_.empty() && started_total_ < allowed && pending_ < o_.max_pending_connects) {
    std::size_t id = to_start_.front();
    to_start_.pop_front();
    auto& s = subs_[id];
    ++s.attempts;
    ++started_total_;
    ++pending_;
    if (!s.conn.start(epfd_, id, sources_[id % sources_.size()], dst_, host_port_, sub_path_)) {
      --pending_;
      ++connect_fail_;
      note_error("connect: %s (#%zu)", std::strerror(errno), id);
      if (s.attempts < connect_retries) to_start_.push_back(id);
      else { s.failed = true; ++failed_; }
    }
  }
}

// ---- publishers ------------------------------------------------------------------------------

void bench::publish_next(std::size_t pub) {
  long idx = static_cast<long>(next_event_++);
  pub_index_[pub] = idx;
  if (!pubs_[pub].send(make_request(idx, now_ns(), false))) {
    ++publish_fail_;
    pub_index_[pub] = -2;
    free_pubs_.push_back(pub);
  }
}

void bench::pump_publishers() {
  if (!publishing_) return;
  std::size_t due = o_.events;
  if (o_.rate > 0) {
    double elapsed = static_cast<double>(now_ns() - publish_t0_) / 1e9;
    due = std::min<std::size_t>(o_.events, static_cast<std::size_t>(elapsed * o_.rate) + 1);
  }
  while (next_event_ < due && !free_pubs_.empty()) {
    std::size_t pub = free_pubs_.back();
    free_pubs_.pop_back();
    publish_next(pub);
  }
}

void bench::on_http_response(std::size_t id, int status) {
  long idx = pub_index_[id];
  pub_index_[id] = -2;
  if (idx >= 0) {
    if (status >= 200 && status < 300) {
      ++publish_ok_;
      published_ok_[static_cast<std::size_t>(idx)] = true;
    } else {
      ++publish_fail_;
      char st[16];
      std::snprintf(st, sizeof st, "%d", status);
      note_error("publish answered HTTP %s (event %zu)", st, static_cast<std::size_t>(idx));
    }
    if (publish_ok_ + publish_fail_ == o_.events) publish_t1_ = now_ns();
  }
  free_pubs_.push_back(id);
  pump_publishers();
}

void bench::on_http_failed(std::size_t id, const char* why) {
  long idx = pub_index_[id];
  pub_index_[id] = -2;
  if (idx >= 0) {
    ++publish_fail_;
    note_error("publish failed: %s (event %zu)", why, static_cast<std::size_t>(idx));
    if (publish_ok_ + publish_fail_ == o_.events) publish_t1_ = now_ns();
  }
  free_pubs_.push_back(id);
}

// ---- phases ----------------------------------------------------------------------------------

// Runs the loop until `done` or `seconds` elapsed; returns whether `done` held.
bool bench::wait_for(double seconds, bool (bench::*done)() const) {
  uint64_t until = now_ns() + static_cast<uint64_t>(seconds * 1e9);
  while (!(this->*done)()) {
    uint64_t now = now_ns();
    if (now >= until) return false;
    poll(static_cast<int>(std::min<uint64_t>((until - now) / 1000000 + 1, 50)));
  }
  return true;
}

bool bench::phase_subscribe() {
  connect_t0_ = now_ns();
  uint64_t deadline = connect_t0_ + static_cast<uint64_t>(o_.deadline_s * 1e9);
  // 1) connect + upgrade (+ subscribe for Switchyard) at the bounded rate.
  while (!(settled_ + failed_ >= o_.subscribers && to_start_.empty() && pending_ == 0)) {
    if (now_ns() >= deadline) return false;
    pace_connects();
    poll(1);
  }
  if (o_.target != target_kind::switchyard) {
    // 2) peers have no subscribe confirmation: publish a probe until every open socket saw one.
    wait_for(0.2, &bench::never);
    uint64_t next_probe = 0;
    while (ready_ + failed_ + disconnected_ < o_.subscribers) {
      uint64_t now = now_ns();
      if (now >= deadline) return false;
      if (now >= next_probe && !free_pubs_.empty()) {
        std::size_t pub = free_pubs_.back();
        free_pubs_.pop_back();
        pub_index_[pub] = -1;
        if (!pubs_[pub].send(make_request(static_cast<long>(++probes_sent_), now, true))) {
          free_pubs_.push_back(pub);
        }
        next_probe = now + 250000000ull;
      }
      poll(10);
    }
  }
  connect_s_ = static_cast<double>(now_ns() - connect_t0_) / 1e9;
  // Let late probe/confirmation frames and the server's allocations settle before sampling.
  wait_for(o_.idle_s > 0 ? o_.idle_s : o_.settle_s, &bench::never);
  return true;
}

bool bench::phase_publish() {
  publishing_ = true;
  cpu0_ = sample_procs(o_.server_pids);
  publish_t0_ = now_ns();
  uint64_t deadline = publish_t0_ + static_cast<uint64_t>(o_.deadline_s * 1e9);
  pump_publishers();
  while (publish_ok_ + publish_fail_ < o_.events) {
    uint64_t now = now_ns();
    if (now >= deadline) return false;
    pump_publishers();
    poll(o_.rate > 0 ? 1 : 10);
  }
  if (publish_t1_ == 0) publish_t1_ = now_ns();
  return true;
}

bool bench::phase_drain() {
  bool ok = wait_for(o_.drain_s >= 0 ? o_.drain_s : o_.deadline_s, &bench::drained);
  cpu1_ = sample_procs(o_.server_pids);
  return ok;
}

void bench::report(bool complete, const char* error) {
  proc_sample rss_end = sample_procs(o_.server_pids);
  if (cpu1_.ok == false && publishing_) cpu1_ = sample_procs(o_.server_pids);
  // Lost: events the server accepted that a subscribed, still-counted socket never got.
  uint64_t lost = 0;
  for (auto& s : subs_) {
    if (!s.ready) continue;
    for (std::size_t i = 0; i < o_.events; ++i)
      if (published_ok_[i] && !s.seen.test(i)) ++lost;
  }
  uint64_t last = last_delivery_ns_ > publish_t0_ ? last_delivery_ns_ : publish_t1_;
  double deliver_s = publishing_ && last > publish_t0_ ? static_cast<double>(last - publish_t0_) / 1e9 : 0;
  double publish_s = publishing_ && publish_t1_ > publish_t0_ ? static_cast<double>(publish_t1_ - publish_t0_) / 1e9 : 0;
  double cpu_s = cpu0_.ok && cpu1_.ok ? cpu1_.cpu_s - cpu0_.cpu_s : -1;
  long per_conn = rss_before_.ok && rss_subscribed_.ok && ready_ > 0
                      ? (rss_subscribed_.rss_kb - rss_before_.rss_kb) * 1024 / static_cast<long>(ready_)
                      : -1;
  std::printf("{\"target\":\"%s\",\"mode\":\"%s\",\"subscribers\":%zu,\"subscribed\":%zu,"
              "\"events\":%zu,\"payload_bytes\":%zu,\"concurrency\":%zu,\"rate\":%.1f,"
              "\"connect_s\":%.3f,\"connect_fail\":%zu,\"disconnected\":%zu,"
              "\"publish_ok\":%llu,\"publish_fail\":%llu,\"publish_s\":%.3f,\"publishes_per_s\":%.1f,"
              "\"deliveries\":%llu,\"expected_deliveries\":%llu,\"deliver_s\":%.3f,\"deliveries_per_s\":%.1f,"
              "\"lost\":%llu,\"duplicates\":%llu,\"unparsed\":%llu,\"server_errors\":%llu,",
              target_name(o_.target), o_.idle_s > 0 ? "idle" : (o_.rate > 0 ? "rate" : "closed"),
              o_.subscribers, ready_, o_.events, o_.payload_bytes, o_.concurrency, o_.rate,
              connect_s_, connect_fail_, disconnected_,
              static_cast<unsigned long long>(publish_ok_), static_cast<unsigned long long>(publish_fail_),
              publish_s, publish_s > 0 ? publish_ok_ / publish_s : 0.0,
              static_cast<unsigned long long>(deliveries_),
              static_cast<unsigned long long>(ready_ * publish_ok_), deliver_s,
              deliver_s > 0 ? deliveries_ / deliver_s : 0.0,
              static_cast<unsigned long long>(lost), static_cast<unsigned long long>(duplicates_),
              static_cast<unsigned long long>(unparsed_), static_cast<unsigned long long>(server_errors_));
  std::printf("\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f},",
              lat_.percentile_us(0.5), lat_.percentile_us(0.9), lat_.percentile_us(0.99),
              lat_.percentile_us(0.999), lat_.max_us(), lat_.mean_us());
  // The client shares the 2 cores with the server: its own CPU shows how much it took.
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  double client_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("\"client_cpu_s\":%.3f,", client_cpu);
  std::printf("\"server_cpu_s\":%.3f,\"cpu_us_per_delivery\":%.3f,"
              "\"server_rss_kb\":{\"before_connect\":%ld,\"after_subscribe\":%ld,\"end\":%ld},"
              "\"rss_per_conn_bytes\":%ld,\"complete\":%s,\"error\":\"%s\"}\n",
              cpu_s, cpu_s >= 0 && deliveries_ > 0 ? cpu_s * 1e6 / static_cast<double>(deliveries_) : -1.0,
              rss_before_.ok ? rss_before_.rss_kb : -1, rss_subscribed_.ok ? rss_subscribed_.rss_kb : -1,
              rss_end.ok ? rss_end.rss_kb : -1, per_conn, complete ? "true" : "false", error);
  std::fflush(stdout);
}

int bench::run() {
  if (!setup()) return 2;
  rss_before_ = sample_procs(o_.server_pids);
  if (!phase_subscribe()) {
    report(false, "deadline in connect/subscribe");
    return 3;
  }
  rss_subscribed_ = sample_procs(o_.server_pids);
  if (o_.idle_s > 0) {
    bool ok = failed_ == 0 && disconnected_ == 0;
    report(ok, ok ? "" : "some subscribers failed");
    return ok ? 0 : 3;
  }
  if (!phase_publish()) {
    cpu1_ = sample_procs(o_.server_pids);
    report(false, "deadline in publish");
    return 3;
  }
  if (!phase_drain()) {
    report(false, "drain timeout: deliveries missing");
    return 3;
  }
  report(true, "");
  return 0;
}

void raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
}

} // namespace
} // namespace sy::bench

int main(int argc, char** argv) {
  sy::bench::options o;
  if (!sy::bench::parse_options(argc, argv, o)) return 2;
  std::signal(SIGPIPE, SIG_IGN);
  sy::bench::raise_fd_limit();
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  std::size_t sockets = o.room.empty() ? o.subscribers + o.concurrency : o.members;
  if (sockets + 16 > rl.rlim_cur) {
    std::fprintf(stderr, "sy_loadgen: %zu connections need more than RLIMIT_NOFILE=%llu\n",
                 sockets, static_cast<unsigned long long>(rl.rlim_cur));
    return 2;
  }
  if (!o.room.empty()) return sy::bench::run_room_storm(o);
  sy::bench::bench b(o);
  return b.run();
}
