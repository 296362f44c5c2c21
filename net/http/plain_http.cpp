// Why not Beast's http::async_read on a tcp_stream: under a REST publish load that path cost
// ~13 µs of server CPU per request before the router did anything (a GET /healthz measured the
// same), against ~11 µs for Nginx/Nchan doing a whole publish. Per request it paid a deadline
// timer set and cancelled twice, a composed read operation, one heap node per header field,
// and a speculative recv that found the socket empty after every request (1.97 recvmsg per
// request against Nginx's 1.0). Here a connection:
//  - is watched by the loop's edge-triggered epoll set (fd_poller.hpp), added once: no
//    epoll_ctl per request, which Asio's readiness waits cost;
//  - reads on readiness and stops at a short read (the kernel had nothing more), so one recv
//    per request -- unless epoll reported the peer's FIN, which a short read may leave behind;
//    readiness seen while the router works on a request is remembered;
//  - parses with Beast's basic_parser (all of HTTP/1.1: chunked bodies, limits, keep-alive),
//    keeping only the fields the router reads;
//  - keeps one lazy timer (lazy_deadline.hpp): moving a deadline later costs nothing, the timer
//    re-arms itself when it fires early (once per timeout period, not per request);
//  - answers with one non-blocking send (write readiness only for what the socket refuses).
#include "net/http/plain_http.hpp"

#include <array>
#include <cerrno>
#include <optional>
#include <string>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/http/error.hpp>

#include "net/http/http_refusals.hpp"
#include "net/http/lazy_deadline.hpp"
#include "net/http/reply_buffer.hpp"
#include "net/http/request_parser.hpp"
#include "net/http/sse_stream.hpp"
#include "net/http/ws_upgrade.hpp"
#include "net/io/fd_poller.hpp"
#include "net/ws/ws_frame.hpp"

namespace sy {

namespace {

namespace http = boost::beast::http;
using error_code = boost::system::error_code;

class plain_http final : public closable,
                         public fd_watcher,
                         public std::enable_shared_from_this<plain_http> {
public:
  plain_http(tcp::socket s, io_loop& loop, const server_options& opts,
             std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> reg,
             admission_ticket ticket)
    : loop_(loop),
      deadline_(loop.context()),
      opts_(opts),
      app_(std::move(app)),
      registry_(std::move(reg)),
      ticket_(std::move(ticket)),
      charge_(registry_->replies()) {
    error_code ec;
    auto ep = s.remote_endpoint(ec);
    if (!ec) {
      remote_ip_ = ep.address().to_string();
      remote_ = remote_ip_ + ":" + std::to_string(ep.port());
      v6_ = ep.address().is_v6();
    }
    fd_ = s.release(ec); // out of Asio's reactor: the loop's fd_poller watches it instead
    if (ec)
      fd_ = -1;
  }

  ~plain_http() override {
    if (fd_ >= 0)
      ::close(fd_);
    registry_->remove(this);
  }

  void start() {
    registry_->add(shared_from_this(), ticket_.kind());
    if (fd_ < 0 || !loop_.poller().add(fd_, this))
      return close();
    if (auto no = admission_refusal(ticket_.kind(), nullptr)) {
      discard_input(); // unread bytes at close would turn the FIN into a reset
      return refuse(std::move(*no));
    }
    if (is_reserve(ticket_.kind())) // one probe, answered quickly, or the place goes
      keep_alive_ = false;
    deadline_.set(opts_.handshake_timeout_ms, *this);
    // Read at once: the request may have arrived before the socket joined the epoll set.
    read_pass();
  }

  void on_fd_event(std::uint32_t events) override {
    if (phase_ == phase::done)
      return;
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
      hangup_ = true; // the next short read is not the end: read on to the EOF
    if ((events & EPOLLOUT) && phase_ == phase::writing)
      continue_write();
    if (phase_ == phase::done || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
      return;
    if (phase_ == phase::reading)
      read_pass();
    else
      readable_ = true; // read once the reply has gone
  }

  // The last step of a shutdown (after the drain): a request already in the socket gets its
  // 503 shutting_down, part of one too; an idle connection just closes.
  void shutdown() override {
    asio::dispatch(loop_.context(), [self = shared_from_this()] {
      self->stopping_ = true;
      if (self->phase_ != phase::reading)
        return; // closes after its reply
      self->read_pass();
      if (self->phase_ != phase::reading)
        return;
      if (self->in_off_ < self->in_.size() || (self->parser_ && self->parser_->got_some()))
        return self->refuse(shutting_down());
      self->close();
    });
  }

  void abandon() override {
  }

  // -- lazy_deadline: the deadline set last has passed --------------------------------------

  void on_deadline() {
    switch (phase_) {
      case phase::reading: // slowloris guard, or an idle keep-alive connection
      case phase::writing: // a client that does not read its reply
        return close();
      case phase::busy:
        return write(router_timeout());
      case phase::done:
        return;
    }
  }

private:
  enum class phase : std::uint8_t { reading, busy, writing, done };

  // -- reading ------------------------------------------------------------------------------

  // Reads until the kernel has nothing more (a short read), then parses. After a hangup the
  // FIN may sit behind the bytes a short read returned, and no further edge will come for it:
  // read on until recv says EOF (else a half-closed client waited for the idle timeout).
  void read_pass() {
    thread_local std::array<char, 16384> scratch;
    readable_ = false;
    const std::size_t cap = opts_.max_header_bytes + opts_.max_body_bytes + scratch.size();
    while (!peer_eof_) {
      if (in_.size() - in_off_ >= cap) { // the parser refuses long before; this bounds memory
        readable_ = true;
        break;
      }
      auto n = ::recv(fd_, scratch.data(), scratch.size(), MSG_DONTWAIT);
      if (n > 0) {
        compact();
        in_.append(scratch.data(), static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < scratch.size() && !hangup_)
          break;
        continue;
      }
      if (n == 0) {
        peer_eof_ = true;
        break;
      }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      return close(); // reset and friends
    }
    parse();
  }

  // Drops whatever the client has sent so far (a connection refused before its request).
  void discard_input() {
    thread_local std::array<char, 16384> scratch;
    for (int i = 0; i < 4; ++i)
      if (::recv(fd_, scratch.data(), scratch.size(), MSG_DONTWAIT)
          < static_cast<ssize_t>(scratch.size()))
        return;
  }

  void compact() {
    if (in_off_ == 0)
      return;
    in_.erase(0, in_off_);
    in_off_ = 0;
  }

  void parse() {
    if (phase_ != phase::reading)
      return;
    if (!parser_) {
      parser_.emplace(opts_.max_header_bytes, opts_.max_body_bytes);
    }
    error_code ec;
    in_off_ += parser_->feed(in_.data() + in_off_, in_.size() - in_off_, ec);
    if (in_off_ == in_.size()) {
      in_.clear();
      in_off_ = 0;
      shrink_idle_buffer(in_);
    }
    if (ec == http::error::need_more) {
      if (parser_->is_header_done() && parser_->expects_continue() && !continue_sent_) {
        continue_sent_ = true;
        static constexpr char go[] = "HTTP/1.1 100 Continue\r\n\r\n";
        ::send(fd_, go, sizeof go - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      }
      if (peer_eof_) // the client stopped sending mid-request (or between requests)
        return close();
      if (readable_)
        return read_pass();
      return; // the next edge brings the rest
    }
    if (ec)
      return refuse(parse_refusal(ec));
    dispatch();
  }

  // -- one complete request -----------------------------------------------------------------

  void dispatch() {
    http_request info = std::move(parser_->request());
    info.remote = remote_;
    info.remote_ip = remote_ip_;
    info.pass = &loop_;
    keep_alive_ = keep_alive_ && parser_->keep_alive();
    continue_sent_ = false;
    if (auto no = admission_refusal(ticket_.kind(), &info))
      return refuse(std::move(*no)); // a reserve connection asked for more than health
    if (registry_->draining()) // parsed after SIGTERM: not handed on, and says so
      return refuse(shutting_down());
    if (info.websocket_upgrade)
      return upgrade(std::move(info));
    if (is_event_stream_request(info)) {
      std::string head;
      if (auto d = app_->on_event_stream(info, head))
        return event_stream(std::move(*d), std::move(head));
    }
    if (!registry_->enter_router()) // the drain began meanwhile
      return refuse(shutting_down());
    parser_.reset();
    phase_ = phase::busy;
    // Counted until write(), whoever answers (the router, or the request timeout).
    deadline_.set(opts_.request_timeout_ms, *this);
    // The router answers through the completion; a late answer (after the 503 of the request
    // timeout) is matched by sequence number and dropped.
    auto seq = requests_.next();
    dispatching_ = true;
    app_->on_http(std::move(info), [self = shared_from_this(), seq](http_reply reply) {
      // Answered on this loop's thread (at once, or by an actor run inline, see
      // actors/inline_runner.hpp): written now -- or, from inside on_http, as soon as it
      // returns. From another thread: through the loop's outbox, where replies completed
      // together wake the loop once.
      if (self->loop_.context().get_executor().running_in_this_thread()) {
        if (!self->requests_.wanted(seq, self->phase_ == phase::busy))
          return;
        if (self->dispatching_)
          self->early_reply_ = std::move(reply);
        else
          self->write(std::move(reply));
        return;
      }
      self->loop_.push_task([self, seq, r = std::move(reply)]() mutable {
        if (self->requests_.wanted(seq, self->phase_ == phase::busy))
          self->write(std::move(r));
      });
    });
    dispatching_ = false;
    if (early_reply_) {
      auto r = std::move(*early_reply_);
      early_reply_.reset();
      write(std::move(r));
    }
  }

  void upgrade(http_request info) {
    if (auto bad = handshake_refusal(parser_->websocket_key(), parser_->websocket_version()))
      return refuse(std::move(*bad));
    auto decision = app_->on_upgrade(info);
    if (decision.refusal)
      return refuse(std::move(*decision.refusal));
    auto response = ws::handshake_response(parser_->websocket_key());
    std::string leftover = in_.substr(in_off_);
    auto socket = hand_over();
    if (!socket)
      return;
    start_websocket(std::move(*socket), loop_, opts_, registry_, std::move(ticket_),
                    std::move(response), std::move(leftover), std::move(decision));
  }

  // GET /v1/channels/{c}/stream: the socket goes to an event stream, as to a WebSocket.
  void event_stream(upgrade_decision decision, std::string head) {
    if (decision.refusal)
      return refuse(std::move(*decision.refusal));
    auto socket = hand_over();
    if (!socket)
      return;
    start_event_stream(std::move(*socket), loop_, opts_, registry_, std::move(ticket_),
                       std::move(head), std::move(decision));
  }

  // The socket leaves this HTTP connection: back into Asio's reactor, which the WebSocket
  // connection and the event stream use.
  std::optional<tcp::socket> hand_over() {
    parser_.reset();
    phase_ = phase::done;
    deadline_.cancel();
    loop_.poller().remove(fd_);
    tcp::socket socket(loop_.context());
    error_code ec;
    socket.assign(v6_ ? tcp::v6() : tcp::v4(), fd_, ec);
    if (ec) {
      ::close(fd_);
      fd_ = -1;
      return std::nullopt;
    }
    fd_ = -1;
    return socket;
  }

  // -- replies ------------------------------------------------------------------------------

  // A reply after which the connection closes.
  void refuse(http_reply reply) {
    keep_alive_ = false;
    write(std::move(reply));
  }

  void write(http_reply reply) {
    if (phase_ == phase::busy) // the router's answer, or the 503 of its timeout
      registry_->request_answered();
    const bool keep_alive = keep_alive_ && !stopping_ && !registry_->draining();
    serialize_reply(reply_, charge_, std::move(reply), keep_alive);
    reply_off_ = 0;
    reply_keep_alive_ = keep_alive;
    continue_write();
  }

  // Sends what is left of reply_. A reply fits the socket buffer almost always: one send; a
  // client that reads slowly gets the rest on write readiness (EPOLLOUT, asked for only then).
  void continue_write() {
    while (reply_off_ < reply_.size()) {
      auto n = ::send(fd_, reply_.data() + reply_off_, reply_.size() - reply_off_,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        reply_off_ += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        charge_.settle(reply_.size()); // the whole buffer stays until its last byte goes
        if (phase_ != phase::writing) {
          phase_ = phase::writing;
          loop_.poller().set_write_interest(fd_, this, true);
          // A client that never reads loses the socket.
          deadline_.set(opts_.handshake_timeout_ms, *this);
        }
        return;
      }
      return after_write(true, reply_keep_alive_);
    }
    if (phase_ == phase::writing)
      loop_.poller().set_write_interest(fd_, this, false);
    after_write(false, reply_keep_alive_);
  }

  void after_write(bool failed, bool keep_alive) {
    release_reply(reply_, charge_);
    if (failed || !keep_alive)
      return close();
    phase_ = phase::reading;
    // The next request, or the idle keep-alive limit.
    deadline_.set(opts_.handshake_timeout_ms, *this);
    if (in_off_ < in_.size()) // a pipelined request is already here
      return parse();
    if (readable_ || peer_eof_)
      read_pass();
  }

  void close() {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_WR);
      ::close(fd_); // which also takes it out of the epoll set
      fd_ = -1;
    }
    deadline_.cancel(); // the timer's handler holds `self`
    std::string().swap(reply_); // what a client that never read was owed
    charge_.settle(0);
  }

  int fd_ = -1;
  bool v6_ = false;
  io_loop& loop_;
  lazy_deadline deadline_;
  const server_options& opts_;
  std::shared_ptr<app_handler> app_;
  std::shared_ptr<conn_registry> registry_;
  admission_ticket ticket_; // this connection's place under the connection limits
  reply_charge charge_;     // what reply_ holds against http.max_pending_reply_bytes_total
  std::optional<request_parser> parser_;
  std::string in_;          // bytes read, parsed up to in_off_
  std::size_t in_off_ = 0;
  std::string reply_;       // the reply being written; reused by the next one
  std::size_t reply_off_ = 0;
  bool reply_keep_alive_ = false;
  std::string remote_;
  std::string remote_ip_;
  request_sequence requests_;
  phase phase_ = phase::reading;
  bool readable_ = false;    // readiness seen (or a read stopped early): read before waiting
  bool peer_eof_ = false;
  bool hangup_ = false;      // epoll reported the peer's FIN (or an error)
  bool keep_alive_ = true;
  bool stopping_ = false;
  bool continue_sent_ = false;
  bool dispatching_ = false; // inside app_->on_http: a reply now would recurse into parse()
  std::optional<http_reply> early_reply_; // answered inside on_http: written when it returns
};

} // namespace

void serve_plain_http(tcp::socket socket, io_loop& loop, const server_options& opts,
                      std::shared_ptr<app_handler> app, std::shared_ptr<conn_registry> registry,
                      admission_ticket ticket) {
  std::make_shared<plain_http>(std::move(socket), loop, opts, std::move(app), std::move(registry),
                               std::move(ticket))
    ->start();
}

} // namespace sy
