#pragma once
// One I/O thread: an io_context run by exactly one thread, and an outbox through which actors
// hand it work. Connections are pinned to one loop, so their state needs no strand.
//
// Why the outbox: a session posting each batch to Asio costs one reactor wake-up (eventfd
// write + epoll return) per subscriber per event when the loop is idle -- 1,000 wake-ups for
// one event to 1,000 subscribers. Here sessions push onto a lock-free list and only the push
// that finds it empty posts a drain. The drain queues everything it finds and then flushes
// each touched connection once: one writev per connection per pass, however many events and
// sessions contributed.
#include <atomic>
#include <deque>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "net/io/pass_scheduler.hpp"
#include "schema/event.hpp"
#include "schema/frame.hpp"

namespace sy {

namespace asio = boost::asio;

/// A WebSocket connection as the drain sees it. Abstract so one loop serves plain and TLS
/// connections (ws_connection<Stream>): one virtual call per connection per pass.
class loop_connection {
public:
  virtual ~loop_connection() = default;
  virtual void enqueue_frame(const frame_ptr& frame) = 0;
  virtual void enqueue_batch(const std::vector<event_ptr>& batch, std::size_t offset) = 0;
  virtual void start_close(std::uint16_t code, std::string reason) = 0;
  virtual void flush_dirty() = 0;
};

class fd_poller;

class io_loop final : public pass_scheduler {
public:
  io_loop();
  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;
  ~io_loop();

  asio::io_context& context() noexcept {
    return ioc_;
  }
  /// The loop's epoll set for plain HTTP sockets (net/fd_poller.hpp); loop thread only.
  fd_poller& poller();

  // -- any thread --
  void push_frame(std::shared_ptr<loop_connection> c, frame_ptr f);
  void push_batch(std::shared_ptr<loop_connection> c, event_batch b, std::uint32_t offset);
  void push_close(std::shared_ptr<loop_connection> c, std::uint16_t code, std::string reason);
  /// Runs `task` on the loop thread, in order with the other pushes (used for HTTP replies:
  /// replies completed together wake the loop once).
  void push_task(std::function<void()> task);

  // -- loop thread --
  /// Runs `fn` once the handlers already queued on this loop have run: everything parsed in
  /// one pass can leave together (see rest_api's publish batching).
  void defer(std::function<void()> fn) override;

  // -- loop thread: a connection with queued bytes, flushed at the end of the drain --
  void mark_dirty(std::shared_ptr<loop_connection> c) {
    dirty_.push_back(std::move(c));
  }

private:
  enum class kind : std::uint8_t { frame, batch, close, task };
  struct node {
    kind what = kind::frame;
    std::uint16_t code = 0;
    std::uint32_t offset = 0;
    std::shared_ptr<loop_connection> conn;
    frame_ptr frame;
    event_batch batch;
    std::string reason;
    std::function<void()> task;
    node* next = nullptr;
  };

  void push(node* n);
  void drain();
  void schedule_drain();

  asio::io_context ioc_{1}; // concurrency hint 1: one thread runs it
  std::atomic<node*> head_{nullptr};
  bool drain_scheduled_ = false;  // a loop-posted drain (pending flushes) is queued
  static constexpr std::size_t flush_slice = 1024; // connections written per pass
  std::deque<std::shared_ptr<loop_connection>> dirty_; // queued frames, flush pending (FIFO)
  std::vector<std::function<void()>> deferred_;
  std::unique_ptr<fd_poller> poller_; // after ioc_: destroyed first
};

} // namespace sy
