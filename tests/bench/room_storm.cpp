#include "room_storm.hpp"

#include "clock.hpp"
#include "room_view.hpp"
#include "sock.hpp"
#include "stats.hpp"
#include "unread_meter.hpp"
#include "ws_client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace sy::bench {
namespace {

constexpr int connect_retries = 3;
constexpr std::size_t max_error_lines = 5;
// After the last view converged: frames that still arrive are counted (a duplicate
// announcement would show here), then the run ends.
constexpr double tail_s = 0.3;
constexpr uint32_t no_member = UINT32_MAX;

struct member_conn {
  ws_conn conn;
  room_view view;
  uint64_t join_sent_ns = 0;
  uint64_t joined_ns = 0;     // its `joined` frame arrived
  uint64_t converged_ns = 0;  // its view first listed every member
  uint32_t self = no_member;
  uint32_t presence_frames = 0;
  uint8_t attempts = 0;
  bool open = false;
  bool lost = false;  // closed after opening, or gave up connecting
};

class storm final : public ws_handler {
public:
  explicit storm(const options& o) : o_(o), n_(o.members) {}
  int run();

private:
  void on_ws_open(std::size_t id) override;
  void on_ws_message(std::size_t id, const char* data, std::size_t len) override;
  void on_ws_closed(std::size_t id, const char* why) override;

  bool setup();
  void poll(int timeout_ms);
  void pace_connects();
  bool phase_connect();
  bool phase_join();
  void on_joined(member_conn& m, std::string_view frame);
  void on_presence(member_conn& m, std::string_view frame);
  void check_converged(member_conn& m);
  void note_error(const char* fmt, const char* a, std::size_t b = 0);
  void report(bool complete, const char* error);

  const options& o_;
  const std::size_t n_;
  int epfd_ = -1;
  sockaddr_in dst_{};
  std::vector<sockaddr_in> sources_;
  std::string host_port_, path_;
  std::vector<member_conn> conns_;
  std::vector<char> scratch_;
  member_ids ids_;

  std::deque<std::size_t> to_start_;
  std::size_t pending_ = 0, open_ = 0, failed_ = 0, connect_fail_ = 0, lost_ = 0;
  uint64_t connect_t0_ = 0;
  double connect_s_ = 0;

  bool joining_ = false;
  std::size_t joins_sent_ = 0, joined_ = 0, converged_ = 0;
  uint64_t join_t0_ = 0, last_join_sent_ns_ = 0, last_joined_ns_ = 0, all_converged_ns_ = 0;

  uint64_t presence_frames_ = 0, presence_bytes_ = 0, joined_bytes_ = 0, other_frames_ = 0;
  uint64_t bytes_ = 0, join_entries_ = 0, leave_entries_ = 0, late_presence_frames_ = 0;
  uint64_t server_errors_ = 0, unparsed_ = 0;
  unread_meter unread_;  // marked: the first sample after the last join was sent
  std::size_t errors_printed_ = 0;
  proc_sample cpu0_, cpu1_;
};

void storm::note_error(const char* fmt, const char* a, std::size_t b) {
  if (errors_printed_++ < max_error_lines) {
    std::fprintf(stderr, fmt, a, b);
    std::fputc('\n', stderr);
  }
}

bool storm::setup() {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0 || !make_addr(o_.host.c_str(), o_.port, dst_)) {
    std::fprintf(stderr, "bad host %s\n", o_.host.c_str());
    return false;
  }
  sources_ = loopback_sources(o_.source_addrs);
  host_port_ = o_.host + ":" + std::to_string(o_.port);
  path_ = "/realtime?token=" + o_.token;
  // A `joined` frame of 2,000 members is ~200 KB: read it in few calls.
  scratch_.resize(256 * 1024);
  conns_.resize(n_);
  for (std::size_t i = 0; i < n_; ++i) to_start_.push_back(i);
  return true;
}

void storm::poll(int timeout_ms) {
  epoll_event evs[1024];
  int n = ::epoll_wait(epfd_, evs, 1024, timeout_ms);
  for (int k = 0; k < n; ++k) {
    uint64_t tag = evs[k].data.u64;
    if (tag < conns_.size())
      conns_[tag].conn.handle(evs[k].events, *this, tag, scratch_.data(), scratch_.size());
  }
}

// ---- connections -----------------------------------------------------------------------------

void storm::on_ws_open(std::size_t id) {
  conns_[id].open = true;
  ++open_;
  --pending_;
}

void storm::on_ws_closed(std::size_t id, const char* why) {
  auto& m = conns_[id];
  if (m.open) {
    m.open = false;
    m.lost = true;
    --open_;
    ++lost_;
    note_error("member connection closed: %s (#%zu)", why, id);
    return;
  }
  --pending_;
  ++connect_fail_;
  note_error("connect failed: %s (#%zu)", why, id);
  if (m.attempts < connect_retries && !joining_) {
    to_start_.push_back(id);
  } else {
    m.lost = true;
    ++failed_;
  }
}

void storm::pace_connects() {
  double elapsed = static_cast<double>(now_ns() - connect_t0_) / 1e9;
  auto allowed = static_cast<std::size_t>(o_.connect_rate * elapsed) + 1;
  std::size_t started = n_ - to_start_.size();
  while (!to_start_.empty() && started < allowed && pending_ < o_.max_pending_connects) {
    std::size_t id = to_start_.front();
    to_start_.pop_front();
    auto& m = conns_[id];
    ++m.attempts;
    ++started;
    ++pending_;
    if (!m.conn.start(epfd_, id, sources_[id % sources_.size()], dst_, host_port_, path_)) {
      --pending_;
      ++connect_fail_;
      note_error("connect: %s (#%zu)", std::strerror(errno), id);
      if (m.attempts < connect_retries) {
        to_start_.push_back(id);
      } else {
        m.lost = true;
        ++failed_;
      }
    }
  }
}

bool storm::phase_connect() {
  connect_t0_ = now_ns();
  uint64_t deadline = connect_t0_ + static_cast<uint64_t>(o_.deadline_s * 1e9);
  while (open_ + failed_ < n_ || pending_ > 0 || !to_start_.empty()) {
    if (now_ns() >= deadline) return false;
    pace_connects();
    poll(1);
  }
  connect_s_ = static_cast<double>(now_ns() - connect_t0_) / 1e9;
  // Let the handshakes' work finish on the server before its CPU is sampled.
  uint64_t until = now_ns() + static_cast<uint64_t>(o_.settle_s * 1e9);
  while (now_ns() < until) poll(10);
  return failed_ == 0 && lost_ == 0;
}

// ---- frames ----------------------------------------------------------------------------------

void storm::check_converged(member_conn& m) {
  if (m.converged_ns != 0 || m.view.order.size() < n_) return;
  m.converged_ns = now_ns();
  if (++converged_ == n_) all_converged_ns_ = m.converged_ns;
}

void storm::on_joined(member_conn& m, std::string_view frame) {
  joined_bytes_ += frame.size();
  if (m.joined_ns != 0 || !apply_joined(frame, ids_, m.view, m.self)) {
    ++unparsed_;
    note_error("unexpected joined frame: %.200s", std::string(frame.substr(0, 200)).c_str());
    return;
  }
  m.joined_ns = now_ns();
  last_joined_ns_ = std::max(last_joined_ns_, m.joined_ns);
  ++joined_;
  check_converged(m);
}

void storm::on_presence(member_conn& m, std::string_view frame) {
  ++presence_frames_;
  presence_bytes_ += frame.size();
  ++m.presence_frames;
  if (converged_ == n_) ++late_presence_frames_;
  if (m.joined_ns == 0) {
    // The protocol sends presence only after the snapshot: a diff before it cannot be placed.
    ++unparsed_;
    note_error("presence before joined: %.200s", std::string(frame.substr(0, 200)).c_str());
    return;
  }
  if (!apply_presence(frame, ids_, m.view, join_entries_, leave_entries_)) {
    ++unparsed_;
    note_error("unparsed presence frame: %.200s", std::string(frame.substr(0, 200)).c_str());
    return;
  }
  check_converged(m);
}

void storm::on_ws_message(std::size_t id, const char* data, std::size_t len) {
  auto& m = conns_[id];
  std::string_view frame(data, len);
  bytes_ += len;
  // Every server frame starts with its op (PROTOCOL.md): no need to parse the rest to route it.
  auto is = [&](std::string_view op) { return frame.substr(0, op.size()) == op; };
  if (is(R"({"op":"presence")")) return on_presence(m, frame);
  if (is(R"({"op":"joined")")) return on_joined(m, frame);
  ++other_frames_;
  if (is(R"({"op":"error")")) {
    ++server_errors_;
    note_error("server error frame: %.200s", std::string(frame.substr(0, 200)).c_str());
  }
  // subscribed (room.R's channel), heartbeat: counted as other frames only.
}

// ---- the storm -------------------------------------------------------------------------------

bool storm::phase_join() {
  joining_ = true;
  cpu0_ = sample_procs(o_.server_pids);
  join_t0_ = now_ns();
  uint64_t deadline = join_t0_ + static_cast<uint64_t>(o_.deadline_s * 1e9);
  // Join k is due at t0 + k × spread / n: the last one at t0 + spread × (n-1)/n.
  auto spread_ns = static_cast<double>(o_.join_within_ms) * 1e6;
  std::size_t next = 0;
  while (converged_ < n_) {
    uint64_t now = now_ns();
    // An error frame (room_full, scope_denied, ...) means a view can never hold every member:
    // stop now instead of at the deadline (the frame is on stderr).
    if (now >= deadline || server_errors_ > 0) {
      cpu1_ = sample_procs(o_.server_pids);
      return false;
    }
    while (next < n_ && now >= join_t0_ + static_cast<uint64_t>(spread_ns * static_cast<double>(next) /
                                                                  static_cast<double>(n_))) {
      auto& m = conns_[next];
      std::string frame = R"({"op":"join","room":")" + o_.room + R"(","info":{"k":)" +
                          std::to_string(next) + "}}";
      if (m.open && m.conn.send_text(frame)) {
        m.join_sent_ns = now_ns();
        last_join_sent_ns_ = m.join_sent_ns;
        ++joins_sent_;
      }
      ++next;
    }
    unread_.sample(now, n_, [&](std::size_t i) { return conns_[i].conn.fd(); }, next == n_);
    poll(next < n_ ? 1 : 10);
  }
  cpu1_ = sample_procs(o_.server_pids);
  uint64_t until = now_ns() + static_cast<uint64_t>(tail_s * 1e9);
  while (now_ns() < until) poll(10);
  return true;
}

double ms_between(uint64_t from, uint64_t to) {
  if (from == 0 || to == 0) return -1;
  return (static_cast<double>(to) - static_cast<double>(from)) / 1e6;
}

void storm::report(bool complete, const char* error) {
  // Same list, same order: every view against the first complete one.
  const member_conn* ref = nullptr;
  for (auto& m : conns_)
    if (m.converged_ns != 0 && !m.lost) {
      ref = &m;
      break;
    }
  std::size_t differing = 0, missing_self = 0;
  uint64_t duplicate_joins = 0, unknown_leaves = 0;
  latency_recorder after_last_join;  // per view: converged - last join sent (µs, clamped at 0)
  latency_recorder join_ack;         // per member: join sent -> its joined frame
  for (auto& m : conns_) {
    duplicate_joins += m.view.duplicate_joins;
    unknown_leaves += m.view.unknown_leaves;
    if (m.joined_ns != 0 && m.join_sent_ns != 0 && m.joined_ns >= m.join_sent_ns)
      join_ack.add(m.joined_ns - m.join_sent_ns);
    if (m.lost) continue;
    if (!ref || m.view.order != ref->view.order) ++differing;
    // The common list holds every member's own id: nobody is missing from everyone's view.
    if (ref && (m.self == no_member || m.self >= ref->view.present.size() || !ref->view.present[m.self]))
      ++missing_self;
    if (m.converged_ns != 0 && last_join_sent_ns_ != 0)
      after_last_join.add(m.converged_ns > last_join_sent_ns_ ? m.converged_ns - last_join_sent_ns_ : 0);
  }
  bool identical = ref && differing == 0 && missing_self == 0 && duplicate_joins == 0;
  double converge_ms = complete ? ms_between(last_join_sent_ns_, all_converged_ns_) : -1;
  bool target_met = complete && identical && converge_ms <= 1000.0;
  double cpu_s = cpu0_.ok && cpu1_.ok ? cpu1_.cpu_s - cpu0_.cpu_s : -1;
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  double client_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  uint32_t max_frames = 0;
  for (auto& m : conns_) max_frames = std::max(max_frames, m.presence_frames);
  auto n = static_cast<double>(n_);
  // ms, or -1 (shown as "–") when no sample: a view that never converged has no time.
  auto ms = [](latency_recorder& r, double q) { return r.count() ? r.percentile_us(q) / 1e3 : -1.0; };
  std::printf("{\"target\":\"switchyard\",\"mode\":\"room_storm\",\"room\":\"%s\",\"members\":%zu,"
              "\"join_within_ms\":%.0f,\"connect_s\":%.3f,\"connect_fail\":%zu,\"lost\":%zu,"
              "\"joins_sent\":%zu,\"joined\":%zu,\"converged\":%zu,"
              "\"last_join_sent_ms\":%.1f,\"last_joined_ms\":%.1f,\"all_converged_ms\":%.1f,",
              o_.room.c_str(), n_, o_.join_within_ms, connect_s_, connect_fail_, lost_ + failed_,
              joins_sent_, joined_, converged_, ms_between(join_t0_, last_join_sent_ns_),
              ms_between(join_t0_, last_joined_ns_), ms_between(join_t0_, all_converged_ns_));
  std::printf("\"converge_after_last_join_ms\":%.1f,\"converge_after_last_joined_ms\":%.1f,"
              "\"view_converge_after_last_join_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
              "\"join_to_joined_ms\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
              "\"views_identical\":%s,\"views_differing\":%zu,\"missing_self\":%zu,"
              "\"duplicate_joins\":%llu,\"unknown_leaves\":%llu,",
              converge_ms, complete ? ms_between(last_joined_ns_, all_converged_ns_) : -1.0,
              ms(after_last_join, 0.5), ms(after_last_join, 0.99), ms(after_last_join, 1.0),
              ms(join_ack, 0.5), ms(join_ack, 0.99), ms(join_ack, 1.0),
              identical ? "true" : "false", differing, missing_self,
              static_cast<unsigned long long>(duplicate_joins),
              static_cast<unsigned long long>(unknown_leaves));
  std::printf("\"presence_frames\":%llu,\"presence_frames_per_join\":%.2f,"
              "\"presence_frames_per_member_max\":%u,\"late_presence_frames\":%llu,"
              "\"join_entries\":%llu,\"leave_entries\":%llu,\"presence_bytes\":%llu,"
              "\"joined_bytes\":%llu,\"bytes_received\":%llu,\"bytes_per_join\":%.0f,"
              "\"other_frames\":%llu,\"server_errors\":%llu,\"unparsed\":%llu,",
              static_cast<unsigned long long>(presence_frames_),
              static_cast<double>(presence_frames_) / n, max_frames,
              static_cast<unsigned long long>(late_presence_frames_),
              static_cast<unsigned long long>(join_entries_),
              static_cast<unsigned long long>(leave_entries_),
              static_cast<unsigned long long>(presence_bytes_),
              static_cast<unsigned long long>(joined_bytes_), static_cast<unsigned long long>(bytes_),
              static_cast<double>(bytes_) / n, static_cast<unsigned long long>(other_frames_),
              static_cast<unsigned long long>(server_errors_), static_cast<unsigned long long>(unparsed_));
  std::printf("\"client_unread_max_kb\":%llu,\"client_unread_after_last_join_kb\":%llu,",
              static_cast<unsigned long long>(unread_.max_bytes() / 1024),
              static_cast<unsigned long long>(unread_.at_mark_bytes() / 1024));
  std::printf("\"server_cpu_s\":%.3f,\"cpu_us_per_join\":%.1f,\"client_cpu_s\":%.3f,"
              "\"target_met\":%s,\"complete\":%s,\"error\":\"%s\"}\n",
              cpu_s, cpu_s >= 0 ? cpu_s * 1e6 / n : -1.0, client_cpu, target_met ? "true" : "false",
              complete ? "true" : "false", error);
  std::fflush(stdout);
}

int storm::run() {
  if (!setup()) return 2;
  if (!phase_connect()) {
    std::fprintf(stderr, "sy_loadgen: %zu of %zu connections open (%zu gave up, %zu lost)\n", open_,
                 n_, failed_, lost_);
    report(false, "connections failed or deadline in connect");
    return 3;
  }
  if (!phase_join()) {
    const char* why = server_errors_ > 0 ? "the server refused a join (error frame)"
                      : joined_ < n_     ? "deadline: joins unanswered"
                                         : "deadline: views did not converge";
    std::fprintf(stderr, "sy_loadgen: %s after %.1f s: %zu of %zu joins sent, %zu answered, %zu of "
                 "%zu views converged\n", why, static_cast<double>(now_ns() - join_t0_) / 1e9,
                 joins_sent_, n_, joined_, converged_, n_);
    report(false, why);
    return 3;
  }
  report(true, "");
  return 0;
}

} // namespace

int run_room_storm(const options& o) {
  // `joined` frames of up to ~200 KB pass through each connection's buffers: above glibc's
  // default 128 KiB mmap threshold every one was a fresh zeroed mapping (a fifth of the
  // client's CPU in a profile). Serve them from the heap, which reuses the memory.
  ::mallopt(M_MMAP_THRESHOLD, 64 << 20);
  storm s(o);
  return s.run();
}

} // namespace sy::bench
