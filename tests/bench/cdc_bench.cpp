// sy_cdcbench: PostgreSQL change capture through Switchyard, measured at one gateway WebSocket
// subscriber, with the same rows published through REST as the peer (BENCHMARKS.md *Change
// capture*). One thread, one epoll set: the subscriber, the libpq connection (asynchronous, so
// the subscriber keeps reading while PostgreSQL works) and the REST publishers. Phases:
//   cdc_bulk    one INSERT ... SELECT generate_series transaction of --rows rows
//   rest_bulk   the same number of rows as POST /workspaces/W/events, closed loop
//   cdc_steady  --rate changes/s for --seconds (single-row transactions, small ones to catch up)
//   rest_steady the same pace through REST
// Every phase is bounded by --deadline-s; the report (one JSON line per phase on stdout) is
// written anyway, and the exit code is 3 when a phase missed rows or its deadline.

#include "cdc_options.hpp"
#include "cdc_phase.hpp"
#include "http_publisher.hpp"
#include "pg_client.hpp"
#include "sock.hpp"
#include "ws_client.hpp"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <unistd.h>
#include <vector>

namespace sy::bench {
namespace {

constexpr uint64_t tag_ws = 0, tag_pg = 1, tag_http = 2;

// "2026-12-01T12:23:50.963Z" -> Unix ms; 0 when it is not that shape.
int64_t parse_iso_ms(const char* p, const char* end) {
  if (end - p < 24) return 0;
  tm t{};
  int ms = 0;
  if (std::sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &t.tm_year, &t.tm_mon, &t.tm_mday, &t.tm_hour,
                  &t.tm_min, &t.tm_sec, &ms) != 7)
    return 0;
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&t)) * 1000 + ms;
}

class cdc_bench final : public ws_handler, public http_handler {
public:
  explicit cdc_bench(const cdc_options& o) : o_(o) {}
  int run();

private:
  void on_ws_open(std::size_t) override;
  void on_ws_message(std::size_t, const char* data, std::size_t len) override;
  void on_ws_closed(std::size_t, const char* why) override;
  void on_http_response(std::size_t id, int status) override;
  void on_http_failed(std::size_t id, const char* why) override;

  bool setup();
  void poll(int timeout_ms);
  template <class Done> bool loop_until(double seconds, Done done);
  void sample(proc_sample& cpu, proc_sample& wal) const;
  bool warm_up();
  bool run_cdc_bulk(cdc_phase& p);
  bool run_rest(cdc_phase& p, double rate);
  bool run_cdc_steady(cdc_phase& p);
  void send_rows(cdc_phase& p, std::size_t k);
  void post_row(cdc_phase& p, std::size_t pub);
  std::string row_values(uint64_t n) const;

  const cdc_options& o_;
  int epfd_ = -1;
  sockaddr_in dst_{};
  ws_conn ws_;
  bool ws_open_ = false, subscribed_ = false, ws_lost_ = false;
  pg_client pg_;
  bool pg_ok_ = true;
  std::vector<http_conn> pubs_;
  std::vector<std::size_t> free_pubs_;
  std::string pub_head_;
  int walsender_pid_ = 0;
  uint64_t next_n_ = 1;
  uint64_t warm_n_ = 0;
  bool warm_seen_ = false;
  cdc_phase* active_ = nullptr;
  std::size_t rest_errors_ = 0;
  std::vector<char> scratch_ = std::vector<char>(256 * 1024);
  char last_ts_[24] = {};
  int64_t last_ts_ms_ = 0;
};

void cdc_bench::on_ws_open(std::size_t) {
  ws_open_ = true;
  ws_.send_text("{\"type\":\"subscribe\",\"channel\":\"postgres:" + o_.table + "\"}");
}

void cdc_bench::on_ws_message(std::size_t, const char* data, std::size_t len) {
  const char* end = data + len;
  if (!memmem(data, len, "\"type\":\"event\"", 14)) {
    if (memmem(data, len, "\"type\":\"subscribed\"", 19)) subscribed_ = true;
    else std::fprintf(stderr, "sy_cdcbench: frame %.200s\n", std::string(data, len).c_str());
    return;
  }
  uint64_t now = wall_ns();
  const char* r = static_cast<const char*>(memmem(data, len, "\"record\":{\"n\":", 14));
  if (!r) return;
  uint64_t n = std::strtoull(r + 14, nullptr, 10);
  int64_t ts_ms = 0;
  if (const char* t = static_cast<const char*>(memmem(data, len, "\"timestamp\":\"", 13))) {
    t += 13;
    // A transaction's changes share one timestamp: parse it once.
    if (end - t >= 24 && std::memcmp(t, last_ts_, 24) == 0) {
      ts_ms = last_ts_ms_;
    } else {
      ts_ms = parse_iso_ms(t, end);
      if (ts_ms > 0) {
        std::memcpy(last_ts_, t, 24);
        last_ts_ms_ = ts_ms;
      }
    }
  }
  if (n == warm_n_) warm_seen_ = true;
  if (active_) active_->deliver(n, now, ts_ms);
}

void cdc_bench::on_ws_closed(std::size_t, const char* why) {
  std::fprintf(stderr, "sy_cdcbench: subscriber closed: %s\n", why);
  ws_lost_ = true;
}

void cdc_bench::on_http_response(std::size_t id, int status) {
  free_pubs_.push_back(id);
  if (status != 201 && rest_errors_++ < 5) std::fprintf(stderr, "sy_cdcbench: REST status %d\n", status);
  if (status != 201 && active_) ++active_->failed;
  if (active_) active_->issued_ns = wall_ns();
}

void cdc_bench::on_http_failed(std::size_t id, const char* why) {
  free_pubs_.push_back(id);
  if (rest_errors_++ < 5) std::fprintf(stderr, "sy_cdcbench: REST failed: %s\n", why);
  if (active_) ++active_->failed;
}

bool cdc_bench::setup() {
  std::string err, first;
  if (!pg_.connect(o_.dsn, err)) {
    std::fprintf(stderr, "sy_cdcbench: PostgreSQL: %s\n", err.c_str());
    return false;
  }
  // Rows continue after any left by an earlier run: every phase owns a fresh range of n.
  if (!pg_.exec("SELECT coalesce(max(n), 0) + 1 FROM " + o_.table, first, err)) {
    std::fprintf(stderr, "sy_cdcbench: %s\n", err.c_str());
    return false;
  }
  next_n_ = std::strtoull(first.c_str(), nullptr, 10);
  // Rows committed before the source streams its slot are not captured: wait until it does.
  std::string q = "SELECT active_pid FROM pg_replication_slots WHERE active AND slot_name = '" +
                  o_.slot + "'";
  for (int i = 0; i < o_.deadline_s * 10 && walsender_pid_ == 0; ++i) {
    if (!pg_.exec(q, first, err)) {
      std::fprintf(stderr, "sy_cdcbench: %s\n", err.c_str());
      return false;
    }
    walsender_pid_ = std::atoi(first.c_str());
    if (walsender_pid_ == 0) ::usleep(100000);
  }
  if (walsender_pid_ == 0) {
    std::fprintf(stderr, "sy_cdcbench: slot %s never became active\n", o_.slot.c_str());
    return false;
  }
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0 || !make_addr(o_.host.c_str(), o_.port, dst_)) return false;
  std::string host_port = o_.host + ":" + std::to_string(o_.port);
  auto src = loopback_sources(1);
  if (!ws_.start(epfd_, tag_ws, src[0], dst_, host_port,
                 "/workspaces/" + o_.workspace + "/realtime/connect?token=" + o_.token))
    return false;
  if (!epoll_set(epfd_, pg_.socket(), tag_pg, false, true)) return false;
  pub_head_ = "POST /workspaces/" + o_.workspace + "/events HTTP/1.1\r\nHost: " + host_port +
              "\r\nAuthorization: Bearer " + o_.api_key +
              "\r\nContent-Type: application/json\r\nContent-Length: ";
  pubs_.resize(o_.rest_concurrency);
  for (std::size_t j = 0; j < pubs_.size(); ++j) {
    pubs_[j].init(epfd_, tag_http + j, dst_);
    free_pubs_.push_back(pubs_.size() - 1 - j);
  }
  if (!loop_until(o_.deadline_s, [&] { return subscribed_; })) {
    std::fprintf(stderr, "sy_cdcbench: the subscriber was not confirmed\n");
    return false;
  }
  return true;
}

void cdc_bench::poll(int timeout_ms) {
  epoll_event evs[64];
  int n = ::epoll_wait(epfd_, evs, 64, timeout_ms);
  for (int k = 0; k < n; ++k) {
    uint64_t tag = evs[k].data.u64;
    if (tag == tag_ws) {
      ws_.handle(evs[k].events, *this, 0, scratch_.data(), scratch_.size());
    } else if (tag == tag_pg) {
      bool ok = true;
      std::string err;
      if (pg_.on_readable(ok, err)) {
        if (active_) active_->issued_ns = wall_ns();
        if (!ok) {
          std::fprintf(stderr, "sy_cdcbench: statement failed: %s\n", err.c_str());
          pg_ok_ = false;
        }
      }
    } else if (tag - tag_http < pubs_.size()) {
      pubs_[tag - tag_http].handle(evs[k].events, *this, tag - tag_http, scratch_.data(),
                                   scratch_.size());
    }
  }
}

// Polls until done() or `seconds` passed or the subscriber is gone; true when done().
template <class Done> bool cdc_bench::loop_until(double seconds, Done done) {
  uint64_t end = wall_ns() + static_cast<uint64_t>(seconds * 1e9);
  while (!done()) {
    if (ws_lost_ || !pg_ok_ || wall_ns() >= end) return false;
    poll(1);
  }
  return true;
}

void cdc_bench::sample(proc_sample& cpu, proc_sample& wal) const {
  cpu = sample_procs(o_.server_pids);
  wal = sample_procs({walsender_pid_});
}

std::string cdc_bench::row_values(uint64_t n) const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "(%llu,'item-%llu',%llu.%02llu)", static_cast<unsigned long long>(n),
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(n / 100),
                static_cast<unsigned long long>(n % 100));
  return buf;
}

// One captured row and one REST row before measuring: the channel exists, the slot's first
// transaction and the publishers' connections are behind us.
bool cdc_bench::warm_up() {
  std::string err;
  warm_n_ = next_n_++;
  warm_seen_ = false;
  if (!pg_.send("INSERT INTO " + o_.table + " VALUES " + row_values(warm_n_), err) ||
      !loop_until(o_.deadline_s, [&] { return warm_seen_ && !pg_.busy(); })) {
    std::fprintf(stderr, "sy_cdcbench: warm-up change not delivered %s\n", err.c_str());
    return false;
  }
  cdc_phase w;
  w.reset("warm_rest", next_n_, pubs_.size());
  next_n_ += pubs_.size();
  active_ = &w;
  while (!free_pubs_.empty()) {
    std::size_t pub = free_pubs_.back();
    free_pubs_.pop_back();
    post_row(w, pub);
  }
  bool ok = loop_until(o_.deadline_s, [&] { return w.complete() && free_pubs_.size() == pubs_.size(); });
  active_ = nullptr;
  if (!ok || w.failed) std::fprintf(stderr, "sy_cdcbench: REST warm-up failed\n");
  return ok && w.failed == 0;
}

bool cdc_bench::run_cdc_bulk(cdc_phase& p) {
  std::string err;
  p.reset("cdc_bulk", next_n_, o_.rows);
  next_n_ += o_.rows;
  active_ = &p;
  sample(p.cpu0, p.wal0);
  p.start_ns = wall_ns();
  std::fill(p.sent_ns.begin(), p.sent_ns.end(), p.start_ns);
  char sql[256];
  std::snprintf(sql, sizeof sql,
                "INSERT INTO %s SELECT g, 'item-' || g, g / 100.0 FROM generate_series(%llu, %llu) g",
                o_.table.c_str(), static_cast<unsigned long long>(p.base),
                static_cast<unsigned long long>(p.base + p.count - 1));
  if (!pg_.send(sql, err)) {
    std::fprintf(stderr, "sy_cdcbench: %s\n", err.c_str());
    return false;
  }
  p.issued = p.count;
  p.statements = 1;
  bool ok = loop_until(o_.deadline_s, [&] { return p.complete() && !pg_.busy(); });
  sample(p.cpu1, p.wal1);
  active_ = nullptr;
  return ok;
}

// k due rows as one transaction (one statement, autocommit).
void cdc_bench::send_rows(cdc_phase& p, std::size_t k) {
  std::string sql = "INSERT INTO " + o_.table + " VALUES ";
  uint64_t now = wall_ns();
  for (std::size_t j = 0; j < k; ++j) {
    if (j) sql += ',';
    sql += row_values(p.base + p.issued);
    p.sent_ns[p.issued++] = now;
  }
  std::string err;
  if (!pg_.send(sql, err)) {
    std::fprintf(stderr, "sy_cdcbench: %s\n", err.c_str());
    pg_ok_ = false;
  }
  ++p.statements;
}

bool cdc_bench::run_cdc_steady(cdc_phase& p) {
  auto total = static_cast<std::size_t>(o_.rate * o_.seconds);
  p.reset("cdc_steady", next_n_, total);
  next_n_ += total;
  active_ = &p;
  sample(p.cpu0, p.wal0);
  p.start_ns = wall_ns();
  bool ok = loop_until(o_.seconds + o_.deadline_s, [&] {
    if (p.issued < p.count && !pg_.busy()) {
      double elapsed = static_cast<double>(wall_ns() - p.start_ns) / 1e9;
      auto due = std::min(p.count, static_cast<std::size_t>(o_.rate * elapsed) + 1);
      if (due > p.issued) send_rows(p, std::min(due - p.issued, o_.max_txn_rows));
    }
    return p.issued == p.count && p.complete() && !pg_.busy();
  });
  sample(p.cpu1, p.wal1);
  active_ = nullptr;
  return ok;
}

void cdc_bench::post_row(cdc_phase& p, std::size_t pub) {
  uint64_t n = p.base + p.issued;
  char body[384];
  // The captured row's shape (operation, table, record) and, like a captured change, an
  // idempotency key and a correlation id, so both routes store the same kind of event.
  int len = std::snprintf(
    body, sizeof body,
    "{\"channel\":\"postgres:%s\",\"operation\":\"INSERT\",\"table\":\"%s\",\"record\":{\"n\":%llu,"
    "\"name\":\"item-%llu\",\"price\":%llu.%02llu},\"idempotencyKey\":\"rest:%d:%llu\","
    "\"correlationId\":\"0/%llX\"}",
    o_.table.c_str(), o_.table.c_str(), static_cast<unsigned long long>(n),
    static_cast<unsigned long long>(n), static_cast<unsigned long long>(n / 100),
    static_cast<unsigned long long>(n % 100), static_cast<int>(::getpid()),
    static_cast<unsigned long long>(n), static_cast<unsigned long long>(n * 200));
  p.sent_ns[p.issued++] = wall_ns();
  ++p.statements;
  if (!pubs_[pub].send(pub_head_ + std::to_string(len) + "\r\n\r\n" + std::string(body, len))) {
    free_pubs_.push_back(pub);
    ++p.failed;
  }
}

// rate 0: closed loop over every connection; else paced at `rate` requests/s.
bool cdc_bench::run_rest(cdc_phase& p, double rate) {
  active_ = &p;
  sample(p.cpu0, p.wal0);
  p.start_ns = wall_ns();
  double budget = rate > 0 ? o_.seconds + o_.deadline_s : o_.deadline_s;
  bool ok = loop_until(budget, [&] {
    std::size_t due = p.count;
    if (rate > 0) {
      double elapsed = static_cast<double>(wall_ns() - p.start_ns) / 1e9;
      due = std::min(p.count, static_cast<std::size_t>(rate * elapsed) + 1);
    }
    while (p.issued < due && !free_pubs_.empty()) {
      std::size_t pub = free_pubs_.back();
      free_pubs_.pop_back();
      post_row(p, pub);
    }
    return p.issued == p.count && p.complete() && free_pubs_.size() == pubs_.size();
  });
  sample(p.cpu1, p.wal1);
  active_ = nullptr;
  return ok;
}

int cdc_bench::run() {
  if (!setup() || !warm_up()) return 2;
  cdc_phase bulk, rest_bulk, steady, rest_steady;
  bool ok = run_cdc_bulk(bulk);
  rest_bulk.reset("rest_bulk", next_n_, o_.rows);
  next_n_ += o_.rows;
  ok = run_rest(rest_bulk, 0) && ok;
  ok = run_cdc_steady(steady) && ok;
  auto total = static_cast<std::size_t>(o_.rate * o_.seconds);
  rest_steady.reset("rest_steady", next_n_, total);
  next_n_ += total;
  ok = run_rest(rest_steady, o_.rate) && ok;
  // One line per phase (scripts/bench.sh records each as its own row of scenario 9).
  for (cdc_phase* p : {&bulk, &rest_bulk, &steady, &rest_steady}) {
    std::string body = p->json();
    std::printf("{\"phase\":\"%s\",\"rows\":%zu,\"rate\":%.1f,\"seconds\":%.1f,"
                "\"max_txn_rows\":%zu,\"rest_concurrency\":%zu,\"walsender_pid\":%d,"
                "\"complete\":%s,%s\n",
                p->name.c_str(), o_.rows, o_.rate, o_.seconds, o_.max_txn_rows,
                o_.rest_concurrency, walsender_pid_, ok ? "true" : "false", body.c_str() + 1);
  }
  std::fflush(stdout);
  bool lossless = bulk.delivered == bulk.count && rest_bulk.delivered == rest_bulk.count &&
                  steady.delivered == steady.count && rest_steady.delivered == rest_steady.count;
  return ok && lossless ? 0 : 3;
}

} // namespace
} // namespace sy::bench

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  sy::bench::cdc_options o;
  if (!sy::bench::parse_cdc_options(argc, argv, o)) return 2;
  sy::bench::cdc_bench b(o);
  return b.run();
}
