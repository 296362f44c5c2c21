#pragma once
// Tracks live connections so shutdown can close them, and decides who may connect
// (conn_admission.hpp) and how many reply bytes may wait (reply_budget.hpp). Its maps are
// touched only on its strand of the main loop, whose one thread also runs the acceptor that
// calls admit(), or after the I/O threads have been joined: no lock is needed.
#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "net/io/conn_admission.hpp"
#include "net/io/reply_budget.hpp"

namespace sy {

namespace asio = boost::asio;

class closable {
public:
  virtual ~closable() = default;
  /// Begin a graceful close (on any thread).
  virtual void shutdown() = 0;
  /// The I/O threads are gone: report the connection closed without any I/O.
  virtual void abandon() = 0;
};

class conn_registry;

/// A connection's place under the admission limits; handing it on (to the WebSocket
/// connection an upgrade creates) keeps the place, destroying it frees the place.
class admission_ticket {
public:
  admission_ticket() = default;
  admission_ticket(std::weak_ptr<conn_registry> r, asio::ip::address a, admission k)
    : registry_(std::move(r)), addr_(a), kind_(k) {
  }
  admission_ticket(admission_ticket&& o) noexcept
    : registry_(std::move(o.registry_)), addr_(o.addr_), kind_(o.kind_) {
    o.registry_.reset();
  }
  admission_ticket& operator=(admission_ticket&& o) noexcept {
    if (this != &o) {
      release();
      registry_ = std::move(o.registry_);
      addr_ = o.addr_;
      kind_ = o.kind_;
      o.registry_.reset();
    }
    return *this;
  }
  admission_ticket(const admission_ticket&) = delete;
  admission_ticket& operator=(const admission_ticket&) = delete;
  ~admission_ticket() {
    release();
  }

  admission kind() const noexcept {
    return kind_;
  }

private:
  inline void release();

  std::weak_ptr<conn_registry> registry_;
  asio::ip::address addr_;
  admission kind_ = admission::served;
};

struct registry_limits {
  admission_limits admission;
  std::size_t max_pending_reply_bytes = 1 << 20;       // per connection, always admitted
  std::size_t max_pending_reply_bytes_total = 64 << 20; // every HTTP connection together
};

class conn_registry : public std::enable_shared_from_this<conn_registry> {
public:
  explicit conn_registry(asio::io_context& ioc, registry_limits limits = {})
    : strand_(asio::make_strand(ioc)),
      admission_(limits.admission),
      replies_(limits.max_pending_reply_bytes, limits.max_pending_reply_bytes_total) {
  }

  /// Main loop thread only (the acceptor's handler): decides for a new connection from
  /// `addr`. A reserve connection that finds the reserve full closes the oldest one.
  admission_ticket admit(const asio::ip::address& addr) {
    auto d = admission_.admit(addr);
    if (d.evict_oldest_reserve && !evict_oldest_reserve()) {
      admission_.release(addr, d.kind);
      d.kind = conn_admission::refusal_for(d.kind);
    }
    return {weak_from_this(), addr, d.kind};
  }

  /// `websocket`: closed in the first step of a shutdown (shutdown_websockets()).
  void add(const std::shared_ptr<closable>& c, admission kind = admission::served,
           bool websocket = false) {
    live_.fetch_add(1);
    if (websocket)
      websockets_.fetch_add(1);
    asio::post(strand_, [self = shared_from_this(), w = std::weak_ptr<closable>(c),
                         key = c.get(), kind, websocket] {
      if (self->stopping_ >= (websocket ? 1 : 2)) {
        if (auto p = w.lock())
          p->shutdown();
      }
      self->items_.emplace(key, item{w, websocket});
      if (is_reserve(kind))
        self->reserve_.emplace_back(key, w);
    });
  }

  /// `key` (a connection added or about to be) holds `t` until it is removed.
  void adopt(closable* key, admission_ticket t) {
    asio::post(strand_, [self = shared_from_this(), key, t = std::move(t)]() mutable {
      self->tickets_.insert_or_assign(key, std::move(t));
    });
  }

  void remove(closable* key, bool websocket = false) {
    live_.fetch_sub(1);
    if (websocket)
      websockets_.fetch_sub(1);
    asio::post(strand_, [self = shared_from_this(), key] {
      self->items_.erase(key);
      self->tickets_.erase(key);
      auto& r = self->reserve_;
      r.erase(std::remove_if(r.begin(), r.end(), [key](auto& e) { return e.first == key; }),
              r.end());
    });
  }

  /// Shutdown, first step: every WebSocket connection (and any upgraded later) closes.
  void shutdown_websockets() {
    asio::post(strand_, [self = shared_from_this()] { self->shut(1); });
  }

  /// Shutdown, last step: every connection (and any accepted later) closes.
  void shutdown_all() {
    asio::post(strand_, [self = shared_from_this()] { self->shut(2); });
  }

  std::size_t live() const {
    return live_.load();
  }

  std::size_t live_websockets() const {
    return websockets_.load();
  }

  // -- the drain (any thread) --

  /// From now on every request is answered 503 shutting_down (net/http/http_refusals.hpp).
  void begin_drain() noexcept {
    draining_.store(true);
  }
  bool draining() const noexcept {
    return draining_.load();
  }
  /// Counts a request about to be handed to the application, unless the drain has begun
  /// (false: refuse it). Counted before the check, against begin_drain()'s store before its
  /// count: a request the drain does not wait for always sees the drain.
  bool enter_router() noexcept {
    in_router_.fetch_add(1);
    if (draining_.load()) {
      in_router_.fetch_sub(1);
      return false;
    }
    return true;
  }
  /// Its answer (or the 503 of its timeout) was written.
  void request_answered() noexcept {
    in_router_.fetch_sub(1);
  }
  /// Requests handed to the application and not answered yet.
  std::size_t requests_in_router() const noexcept {
    return in_router_.load();
  }

  reply_budget& replies() noexcept {
    return replies_;
  }

  /// Only after the I/O threads were joined.
  std::vector<std::shared_ptr<closable>> leftovers() {
    std::vector<std::shared_ptr<closable>> out;
    for (auto& [key, it] : items_)
      if (auto p = it.conn.lock())
        out.push_back(std::move(p));
    return out;
  }

private:
  struct item {
    std::weak_ptr<closable> conn;
    bool websocket = false;
  };

  // level 1: WebSockets; 2: everything.
  void shut(int level) {
    int was = stopping_;
    stopping_ = std::max(stopping_, level);
    for (auto& [key, it] : items_)
      if ((it.websocket || level == 2) && !(it.websocket && was >= 1))
        if (auto p = it.conn.lock())
          p->shutdown();
  }

  friend class admission_ticket;

  void release(const asio::ip::address& addr, admission kind) {
    if (is_refused(kind))
      return;
    asio::post(strand_, [self = shared_from_this(), addr, kind] {
      self->admission_.release(addr, kind);
    });
  }

  bool evict_oldest_reserve() {
    while (!reserve_.empty()) {
      auto w = std::move(reserve_.front().second);
      reserve_.pop_front();
      if (auto p = w.lock()) {
        p->shutdown();
        return true;
      }
    }
    return false;
  }

  asio::strand<asio::io_context::executor_type> strand_;
  std::unordered_map<closable*, item> items_;
  std::unordered_map<closable*, admission_ticket> tickets_; // upgraded connections' places
  std::deque<std::pair<closable*, std::weak_ptr<closable>>> reserve_; // oldest first
  conn_admission admission_;
  reply_budget replies_;
  std::atomic<std::size_t> live_{0};
  std::atomic<std::size_t> websockets_{0};
  std::atomic<std::size_t> in_router_{0};
  std::atomic<bool> draining_{false};
  int stopping_ = 0; // 1: WebSockets close, 2: everything closes
};

inline void admission_ticket::release() {
  if (auto r = registry_.lock())
    r->release(addr_, kind_);
  registry_.reset();
}

} // namespace sy
