// SIGTERM drains: requests that reach the server after the signal get 503 shutting_down (never
// a silent drop), publishes already handed to the router complete, every event answered 201
// reaches every connected subscriber, and then the subscribers get 1001.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "raw_conn.hpp"

using namespace sy::test;

namespace {

using clock_type = std::chrono::steady_clock;

// One publish as the client saw it. A blocking keep-alive client that never retries: a
// request that gets no answer is reported, not hidden behind a reconnect.
struct publish_outcome {
  int status = 0;          // 0: no HTTP answer
  std::string code;        // error code of a non-2xx answer
  std::int64_t seq = -1;   // of a 201
  std::string failure;     // why there was no answer
  clock_type::time_point sent{};
};

class keepalive_publisher {
public:
  explicit keepalive_publisher(std::uint16_t port) : port_(port) {
  }
  ~keepalive_publisher() {
    drop();
  }

  publish_outcome post(const std::string& target, const std::string& body) {
    publish_outcome out;
    out.sent = clock_type::now();
    if (fd_ < 0 && !connect_once(out.failure))
      return out;
    std::string req = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer " + test_api_key + "\r\n"
                      "Content-Type: application/json\r\nContent-Length: "
                      + std::to_string(body.size()) + "\r\n\r\n" + body;
    out.sent = clock_type::now();
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
      out.failure = std::string("send: ") + std::strerror(errno);
      drop();
      return out;
    }
    std::string in;
    std::size_t head_end = std::string::npos;
    std::size_t need = 0;
    char buf[4096];
    auto deadline = clock_type::now() + std::chrono::seconds(5);
    for (;;) {
      if (head_end == std::string::npos) {
        head_end = in.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          auto cl = lower(in.substr(0, head_end)).find("content-length:");
          need = head_end + 4
                 + (cl == std::string::npos ? 0 : std::strtoul(in.c_str() + cl + 15, nullptr, 10));
        }
      }
      if (head_end != std::string::npos && in.size() >= need)
        break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        out.failure = "timed out";
        drop();
        return out;
      }
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        out.failure = n == 0 ? "eof after " + std::to_string(in.size()) + " bytes"
                             : std::string("recv: ") + std::strerror(errno);
        drop();
        return out;
      }
      in.append(buf, static_cast<std::size_t>(n));
    }
    out.status = std::atoi(in.c_str() + 9);
    auto v = parse_json(in.substr(head_end + 4, need - head_end - 4));
    if (out.status == 201 && v.is_object())
      out.seq = field_i(v.as_object(), "seq");
    else
      out.code = error_code_of(in.substr(head_end + 4));
    if (lower(in.substr(0, head_end)).find("connection: close") != std::string::npos)
      drop();
    return out;
  }

private:
  static std::string lower(std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  bool connect_once(std::string& failure) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      failure = std::string("connect: ") + std::strerror(errno);
      drop();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }

  void drop() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

  std::uint16_t port_;
  int fd_ = -1;
};

// A subscriber reading every event until the server closes: the seqs it got, how it ended and
// when it saw the end.
struct subscriber_log {
  std::set<std::int64_t> seqs;
  std::optional<close_status> closed;
  clock_type::time_point closed_at = clock_type::time_point::max();
};

void read_until_closed(ws_client& c, subscriber_log& log) {
  auto deadline = clock_type::now() + std::chrono::seconds(15);
  while (clock_type::now() < deadline) {
    auto text = c.read_text(std::chrono::milliseconds(500));
    if (!text) {
      if (auto st = c.closed()) {
        log.closed_at = clock_type::now();
        log.closed = st;
        return;
      }
      continue;
    }
    auto v = parse_json(*text);
    if (v.is_object() && field_s(v.as_object(), "op") == "event")
      log.seqs.insert(field_i(v.as_object(), "seq"));
  }
}

} // namespace

TEST_CASE("SIGTERM during a flood 20 times delivers every 201 event to every subscriber",
          "[integration][shutdown]") {
  int rounds = 20;
  if (const char* r = std::getenv("SY_SHUTDOWN_ROUNDS"))
    rounds = std::max(1, std::min(200, std::atoi(r)));
  constexpr int subscribers = 3;
  constexpr int publishers = 4;
  constexpr int max_per_publisher = 3000;
  const std::string topic = "drain.flood";
  std::mt19937 rng(std::random_device{}());
  std::size_t acked_total = 0;
  std::size_t refused_total = 0;
  std::size_t unanswered_total = 0; // sent after the drain ended: refused or reset, allowed
  std::int64_t slowest_close_ms = 0; // signal -> the last subscriber saw its 1001 (-s shows it)
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    // A wide batch window: a 201 can be answered well before its burst is fanned out, which
    // is what the drain has to close.
    daemon_process d({"--set", "channel.batch_window_us=20000"});
    std::vector<ws_client> subs;
    for (int s = 0; s < subscribers; ++s) {
      subs.push_back(connect_fabric(d, "drain-sub-" + std::to_string(s)));
      subscribe(subs.back(), {topic});
    }
    std::vector<subscriber_log> logs(subscribers);
    std::vector<std::thread> readers;
    for (int s = 0; s < subscribers; ++s)
      readers.emplace_back([&, s] { read_until_closed(subs[s], logs[s]); });
    std::mutex mu;
    std::vector<publish_outcome> outcomes;
    std::vector<std::thread> pubs;
    for (int p = 0; p < publishers; ++p)
      pubs.emplace_back([&, p] {
        keepalive_publisher h(d.port());
        for (int i = 0; i < max_per_publisher; ++i) {
          auto o = h.post("/v1/channels/" + topic + "/events",
                          "{\"data\":{\"p\":" + std::to_string(p) + ",\"i\":" + std::to_string(i)
                            + "}}");
          bool last = o.status != 201;
          std::lock_guard<std::mutex> lock(mu);
          outcomes.push_back(std::move(o));
          if (last) // refused or no answer: this publisher stops
            return;
        }
      });
    std::uniform_int_distribution<int> delay(20, 250);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay(rng)));
    auto signalled = clock_type::now();
    d.terminate(SIGTERM);
    for (auto& t : pubs)
      t.join();
    for (auto& t : readers)
      t.join();
    auto exit = d.wait_exit(std::chrono::seconds(10));
    REQUIRE(exit.has_value());
    CHECK(*exit == 0);
    auto first_close = clock_type::time_point::max();
    for (auto& log : logs) {
      REQUIRE(log.closed.has_value());
      CHECK(log.closed->code == 1001);
      first_close = std::min(first_close, log.closed_at);
      slowest_close_ms = std::max<std::int64_t>(
        slowest_close_ms,
        std::chrono::duration_cast<std::chrono::milliseconds>(log.closed_at - signalled).count());
    }
    std::size_t acked = 0;
    for (const auto& o : outcomes) {
      if (o.status == 201) {
        ++acked;
        for (int s = 0; s < subscribers; ++s) {
          INFO("seq " << o.seq << " subscriber " << s);
          CHECK(logs[s].seqs.count(o.seq) == 1);
        }
        continue;
      }
      if (o.status != 0) { // an answer: the only refusal is the shutdown's
        INFO("status " << o.status << " code " << o.code);
        CHECK(o.status == 503);
        CHECK(o.code == "shutting_down");
        CHECK(o.sent >= signalled);
        ++refused_total;
        continue;
      }
      // No answer at all: only for a request sent once the server had closed its WebSockets,
      // i.e. after its listener and HTTP connections were about to close.
      INFO("no answer: " << o.failure);
      CHECK(o.sent > first_close);
      ++unanswered_total;
    }
    acked_total += acked;
  }
  INFO("acknowledged " << acked_total << ", refused shutting_down " << refused_total
                       << ", unanswered after the drain " << unanswered_total
                       << ", slowest signal-to-1001 " << slowest_close_ms << " ms");
  CHECK(acked_total > 0u);
}

TEST_CASE("a request arriving during the shutdown drain gets 503 shutting_down",
          "[integration][shutdown]") {
  // A subscriber that never reads holds the drain in its close handshake (bounded by the
  // grace): meanwhile the server is up and must answer, not drop.
  daemon_process d({"--set", "shutdown_grace_ms=1500"});
  auto stuck = connect_fabric(d, "never-reads");
  subscribe(stuck, {"drain.held"});
  // A kept-alive connection that is idle when the signal comes, and a request half sent.
  raw_conn idle(d.port());
  REQUIRE(idle.ok());
  raw_conn partial(d.port());
  REQUIRE(partial.ok());
  std::string post = "POST /v1/channels/drain.held/events HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer " + test_api_key + "\r\nContent-Type: "
                     "application/json\r\nContent-Length: 11\r\n\r\n{\"data\":{}}";
  REQUIRE(idle.send(post));
  REQUIRE(idle.wait_for("\r\n\r\n", 1, 3s));
  REQUIRE(idle.status() == "201");
  REQUIRE(partial.send(post.substr(0, 40)));
  std::this_thread::sleep_for(100ms); // the partial request is read (not complete)
  d.terminate(SIGTERM);
  std::this_thread::sleep_for(300ms); // the drain runs; the stuck subscriber holds it open

  SECTION("a new connection") {
    raw_conn fresh(d.port());
    REQUIRE(fresh.ok());
    REQUIRE(fresh.send(post));
    REQUIRE(fresh.wait_for("}}", 1, 3s));
    CHECK(fresh.status() == "503");
    CHECK(fresh.received().find("\"shutting_down\"") != std::string::npos);
    CHECK(fresh.received().find("Connection: close") != std::string::npos);
    CHECK(fresh.closed_within(2s));
  }
  SECTION("a kept-alive connection and a request completed after the signal") {
    auto before = idle.received().size();
    REQUIRE(idle.send(post));
    REQUIRE(idle.wait_for("shutting_down", 1, 3s));
    CHECK(idle.received().substr(before, 12) == "HTTP/1.1 503");
    REQUIRE(partial.send(post.substr(40)));
    REQUIRE(partial.wait_for("shutting_down", 1, 3s));
    CHECK(partial.status() == "503");
  }
  SECTION("a WebSocket upgrade") {
    ws_client late;
    CHECK(late.connect(d.port(), "/realtime?token=" + token_for("late")) == 503);
    CHECK(error_code_of(late.refusal_body()) == "shutting_down");
  }
  auto exit = d.wait_exit(std::chrono::seconds(10));
  REQUIRE(exit.has_value());
  CHECK(*exit == 0);
}
