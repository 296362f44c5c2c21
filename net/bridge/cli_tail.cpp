#include "net/bridge/cli_tail.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "net/bridge/cli_token.hpp"
#include "net/bridge/cli_url.hpp"
#include "schema/event.hpp"

namespace sy {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// The server closes a connection without client frames after realtime.idle_timeout_ms (120 s
// by default): a ping every 30 s keeps it open with room for three to be lost.
constexpr auto ping_every = 30s;
// No frame from the node (its heartbeat is every 30 s, realtime.heartbeat_ms) for this long:
// the link is dead even if TCP has not noticed (Beast pings the node once halfway through).
constexpr auto silence_limit = 90s;
constexpr auto connect_timeout = 10s;
constexpr auto backoff_first = 100ms;
constexpr auto backoff_max = 5s;

struct link {
  explicit link(asio::io_context& ioc) : ws(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  websocket::response_type handshake_res;
  beast::flat_buffer in;
  std::deque<std::string> out; // one write in flight (Beast), the rest waits here
  bool writing = false;
  bool dead = false;
};

class tailer {
public:
  tailer(asio::io_context& ioc, cli_endpoint ep, std::string url, std::string token,
         std::vector<std::string> topics, std::map<std::string, std::string> since,
         json::value scopes)
    : ioc_(ioc), ep_(std::move(ep)), url_(std::move(url)), token_(std::move(token)),
      topics_(std::move(topics)), cursor_(std::move(since)), scopes_(std::move(scopes)),
      retry_timer_(ioc), ping_timer_(ioc), signals_(ioc, SIGINT, SIGTERM) {}

  int run() {
    signals_.async_wait([this](const beast::error_code& ec, int) {
      if (!ec)
        finish(exit_ok);
    });
    connect();
    ioc_.run();
    return exit_code_;
  }

private:
  void finish(int code) {
    exit_code_ = code;
    ioc_.stop();
  }

  void connect() {
    auto l = std::make_shared<link>(ioc_);
    link_ = l;
    confirmed_.clear();
    check_first_seq_.clear();
    tcp::resolver resolver(ioc_);
    beast::error_code ec;
    auto addrs = resolver.resolve(ep_.host, ep_.port, ec);
    if (ec)
      return lost(l, "cannot resolve " + ep_.host + ": " + ec.message());
    beast::get_lowest_layer(l->ws).expires_after(connect_timeout);
    beast::get_lowest_layer(l->ws).async_connect(
      addrs, [this, l](const beast::error_code& ec, const tcp::endpoint&) {
        if (ec)
          return lost(l, "cannot connect to " + url_ + ": " + ec.message());
        handshake(l);
      });
  }

  void handshake(const std::shared_ptr<link>& l) {
    l->ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "switchyard-tail");
    }));
    l->ws.async_handshake(
      l->handshake_res, ep_.host + ":" + ep_.port, ep_.prefix + "/realtime?token=" + token_,
      [this, l](const beast::error_code& ec) {
        if (ec == websocket::error::upgrade_declined) {
          int status = l->handshake_res.result_int();
          auto body = l->handshake_res.body();
          // 5xx (too many connections, shutting down) passes; anything else will not.
          if (status >= 500)
            return lost(l, "the node answered " + std::to_string(status) + " " + body);
          std::cerr << "switchyard tail: refused (" << status << "): " << body << "\n";
          return finish(exit_refused);
        }
        if (ec)
          return lost(l, "WebSocket handshake with " + url_ + " failed: " + ec.message());
        beast::get_lowest_layer(l->ws).expires_never();
        websocket::stream_base::timeout t;
        t.handshake_timeout = connect_timeout;
        t.idle_timeout = silence_limit;
        t.keep_alive_pings = true;
        l->ws.set_option(t);
        if (connected_once_)
          std::cerr << "switchyard tail: reconnected to " << url_ << "\n";
        connected_once_ = true;
        send(l, subscribe_frame());
        read(l);
        schedule_ping(l);
      });
  }

  std::string subscribe_frame() const {
    json::object f{{"op", "subscribe"}};
    json::array topics;
    for (const auto& t : topics_)
      topics.emplace_back(t);
    f["topics"] = std::move(topics);
    if (!scopes_.is_null())
      f["scopes"] = scopes_;
    json::object since;
    for (const auto& [channel, cursor] : cursor_)
      since[channel] = cursor;
    if (!since.empty())
      f["since"] = std::move(since);
    return json::serialize(f);
  }

  void send(const std::shared_ptr<link>& l, std::string text) {
    l->out.push_back(std::move(text));
    if (!l->writing)
      write_next(l);
  }

  void write_next(const std::shared_ptr<link>& l) {
    if (l->dead || l->out.empty()) {
      l->writing = false;
      return;
    }
    l->writing = true;
    l->ws.text(true);
    l->ws.async_write(asio::buffer(l->out.front()),
                      [this, l](const beast::error_code& ec, std::size_t) {
                        if (ec)
                          return lost(l, "write failed: " + ec.message());
                        l->out.pop_front();
                        write_next(l);
                      });
  }

  void schedule_ping(const std::shared_ptr<link>& l) {
    ping_timer_.expires_after(ping_every);
    ping_timer_.async_wait([this, l](const beast::error_code& ec) {
      if (ec || l->dead)
        return;
      send(l, R"({"op":"ping"})");
      schedule_ping(l);
    });
  }

  void read(const std::shared_ptr<link>& l) {
    l->ws.async_read(l->in, [this, l](const beast::error_code& ec, std::size_t) {
      if (ec == websocket::error::closed) {
        auto code = static_cast<int>(l->ws.reason().code);
        std::string reason(l->ws.reason().reason.c_str());
        // An expired or refused token stays refused on every retry.
        if (code == 4001 || code == 4003) {
          std::cerr << "switchyard tail: refused: the node closed the connection with " << code
                    << " " << reason << "\n";
          return finish(exit_refused);
        }
        return lost(l, "the node closed the connection with " + std::to_string(code) + " "
                         + reason);
      }
      if (ec)
        return lost(l, "connection lost: " + ec.message());
      auto text = beast::buffers_to_string(l->in.data());
      l->in.consume(l->in.size());
      if (!on_frame(text))
        return;
      read(l);
    });
  }

  // False when the command ends here.
  bool on_frame(const std::string& text) {
    json::error_code jec;
    auto v = json::parse(text, jec);
    if (jec || !v.is_object())
      return true; // not ours to judge: the server only sends JSON objects
    auto& f = v.get_object();
    auto op = f.if_contains("op");
    if (!op || !op->is_string())
      return true;
    if (*op == "event")
      return on_event(f);
    if (*op == "subscribed")
      on_subscribed(f);
    else if (*op == "error") {
      std::cerr << "switchyard tail: refused: " << string_of(f, "code");
      if (f.contains("topic"))
        std::cerr << " (topic " << string_of(f, "topic") << ")";
      std::cerr << ": " << string_of(f, "message") << "\n";
      finish(exit_refused);
      return false;
    }
    return true;
  }

  static std::string string_of(const json::object& o, const char* key) {
    auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  }

  void on_subscribed(const json::object& f) {
    auto topic = string_of(f, "topic");
    confirmed_.insert(topic);
    auto* recovered = f.if_contains("recovered");
    if (recovered && recovered->is_bool() && !recovered->get_bool()) {
      // A cursor taken from a confirmation, with nothing printed after it, often names an empty
      // channel that retired while no one was subscribed (PROTOCOL.md: an empty channel retires
      // 1 s after its last subscriber left, and a restart starts a new incarnation). The node
      // then replays the new incarnation from its first event: when the replay starts at seq 1
      // (or is empty) nothing the tail could have printed is missing, so it does not warn.
      auto* replay = f.if_contains("replay");
      bool none = replay && replay->is_int64() && replay->get_int64() == 0;
      if (unprinted_.count(topic) == 0)
        warn_gap(topic);
      else if (!none)
        check_first_seq_.insert(topic);
    }
    // A channel not printed from yet resumes after the newest event it had when subscribed:
    // what was published while disconnected is then replayed, not lost.
    if (valid_channel_name(topic) && cursor_.count(topic) == 0) {
      auto cursor = string_of(f, "cursor");
      if (!cursor.empty()) {
        cursor_[topic] = cursor;
        unprinted_.insert(topic);
      }
    }
    if (confirmed_.size() == topics_.size()) {
      backoff_ = backoff_first; // a whole subscription succeeded: the next drop starts over
      // Said once per connection, so a script (or a test) knows when publishing reaches it.
      std::cerr << "switchyard tail: following";
      for (const auto& t : topics_)
        std::cerr << " " << t;
      std::cerr << " on " << url_ << std::endl;
    }
  }

  void warn_gap(const std::string& topic) {
    std::cerr << "switchyard tail: " << topic << ": the node's history no longer covers the gap "
              << "after " << cursor_[topic] << " (recovered:false): events may be missing "
              << "before the ones that follow" << std::endl;
  }

  bool on_event(const json::object& f) {
    // The stored event: the frame without what only the WebSocket adds, in the stored order
    // (json::object::erase would move the last member into the hole).
    json::object stored;
    for (const auto& m : f)
      if (m.key() != "op" && m.key() != "topic" && m.key() != "snapshot")
        stored.emplace(m.key(), m.value());
    auto channel = string_of(f, "channel");
    auto id = string_of(f, "id");
    // Events a pattern delivers are not resumed by channel (the pattern has no history).
    if (!id.empty() && std::count(topics_.begin(), topics_.end(), channel)) {
      cursor_[channel] = id;
      unprinted_.erase(channel);
      auto* seq = f.if_contains("seq");
      if (check_first_seq_.erase(channel) && !(seq && seq->is_int64() && seq->get_int64() == 1))
        warn_gap(channel);
    }
    auto line = json::serialize(stored);
    line += '\n';
    // Flushed per event: a reader on a pipe sees each one as it comes.
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout)) {
      finish(exit_ok); // the reader went away
      return false;
    }
    return true;
  }

  void lost(const std::shared_ptr<link>& l, const std::string& why) {
    if (l->dead || l != link_)
      return;
    l->dead = true;
    ping_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(l->ws).socket().close(ignored);
    if (!connected_once_) {
      std::cerr << "switchyard tail: " << why << "\n";
      return finish(exit_unreachable);
    }
    // Full jitter over the upper half: many tails cut off at once do not return in step.
    std::uniform_int_distribution<long> pick(backoff_.count() / 2, backoff_.count());
    auto wait = std::chrono::milliseconds(pick(rng_));
    std::cerr << "switchyard tail: " << why << "; reconnecting in " << wait.count() << " ms\n";
    for (const auto& t : topics_)
      if (!valid_channel_name(t))
        std::cerr << "switchyard tail: " << t << ": a pattern has no history: events published "
                  << "meanwhile on its channels are not shown\n";
    backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, backoff_max);
    retry_timer_.expires_after(wait);
    retry_timer_.async_wait([this](const beast::error_code& ec) {
      if (!ec)
        connect();
    });
  }

  asio::io_context& ioc_;
  cli_endpoint ep_;
  std::string url_;
  std::string token_;
  std::vector<std::string> topics_;
  std::map<std::string, std::string> cursor_; // channel -> the last cursor printed (or given)
  json::value scopes_;
  std::shared_ptr<link> link_;
  std::set<std::string> confirmed_;
  std::set<std::string> unprinted_;       // cursor_ from a confirmation, nothing printed since
  std::set<std::string> check_first_seq_; // recovered:false pending: warn unless seq 1 follows
  asio::steady_timer retry_timer_;
  asio::steady_timer ping_timer_;
  asio::signal_set signals_;
  std::chrono::milliseconds backoff_ = backoff_first;
  std::minstd_rand rng_{std::random_device{}()};
  bool connected_once_ = false;
  int exit_code_ = exit_ok;
};

} // namespace

int cmd_tail(const cli& c, const config& cfg) {
  if (c.positional.empty()) {
    std::cerr << "switchyard tail: expected at least one CHANNEL\n";
    return exit_usage;
  }
  for (const auto& t : c.positional)
    if (!valid_channel_name(t) && !valid_channel_pattern(t)) {
      std::cerr << "switchyard tail: invalid channel \"" << t
                << "\" (1-200 characters of A-Za-z0-9._:-, or a pattern prefix* / *)\n";
      return exit_usage;
    }
  std::map<std::string, std::string> since;
  for (const auto& s : c.since) {
    auto eq = s.find('=');
    std::string channel = eq == std::string::npos ? std::string() : s.substr(0, eq);
    std::string cursor = eq == std::string::npos ? s : s.substr(eq + 1);
    if (channel.empty()) {
      if (c.positional.size() != 1) {
        std::cerr << "switchyard tail: with several channels, --since takes CHANNEL=CURSOR\n";
        return exit_usage;
      }
      channel = c.positional.front();
    }
    if (std::count(c.positional.begin(), c.positional.end(), channel) == 0
        || !valid_channel_name(channel) || cursor.empty()) {
      std::cerr << "switchyard tail: --since " << s
                << ": names no channel given (patterns have no history)\n";
      return exit_usage;
    }
    since[channel] = cursor;
  }
  json::value scopes;
  if (!c.scopes.empty()) {
    json::error_code ec;
    scopes = json::parse(c.scopes, ec);
    if (ec || !scopes.is_object()) {
      std::cerr << "switchyard tail: --scopes needs a JSON object, e.g. '{\"user\":\"u1\"}'\n";
      return exit_usage;
    }
  }
  auto url = cli_url(c.url, cfg);
  cli_endpoint ep;
  std::string error;
  if (!parse_cli_url(url, ep, error)) {
    std::cerr << "switchyard tail: " << error << "\n";
    return exit_usage;
  }
  std::string token;
  if (c.token)
    token = *c.token;
  else if (const char* e = std::getenv("SWITCHYARD_TOKEN"); e && *e)
    token = e;
  else
    token = cli_default_token(cfg);
  std::vector<std::string> topics; // each once: one confirmation per topic is awaited
  for (const auto& t : c.positional)
    if (std::count(topics.begin(), topics.end(), t) == 0)
      topics.push_back(t);
  // A reader that goes away (`| head`) makes the next write fail with EPIPE, and tail ends
  // with 0, instead of SIGPIPE killing it (Asio's socket writes never raise it).
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context ioc;
  tailer t(ioc, std::move(ep), url, std::move(token), std::move(topics), std::move(since),
           std::move(scopes));
  return t.run();
}

} // namespace sy
