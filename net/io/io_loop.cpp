#include "net/io/io_loop.hpp"

#include <boost/asio/post.hpp>

#include "net/io/fd_poller.hpp"


namespace sy {

io_loop::io_loop() = default;

io_loop::~io_loop() {
  // Nodes left when the loop stopped: free them (their connections report closed on destroy).
  node* n = head_.exchange(nullptr);
  while (n) {
    node* next = n->next;
    delete n;
    n = next;
  }
}

fd_poller& io_loop::poller() {
  if (!poller_)
    poller_ = std::make_unique<fd_poller>(ioc_);
  return *poller_;
}

void io_loop::push(node* n) {
  node* old = head_.load(std::memory_order_relaxed);
  do {
    n->next = old;
  } while (!head_.compare_exchange_weak(old, n, std::memory_order_release,
                                        std::memory_order_relaxed));
  if (old == nullptr) // the list was empty: nobody has scheduled a drain yet
    asio::post(ioc_, [this] { drain(); });
  // (A drain re-posted by the loop itself for pending flushes may run first: it takes the
  // list too. An extra drain finds nothing and returns.)
}

void io_loop::push_frame(std::shared_ptr<loop_connection> c, frame_ptr f) {
  auto* n = new node;
  n->what = kind::frame;
  n->conn = std::move(c);
  n->frame = std::move(f);
  push(n);
}

void io_loop::push_batch(std::shared_ptr<loop_connection> c, event_batch b, std::uint32_t offset) {
  auto* n = new node;
  n->what = kind::batch;
  n->conn = std::move(c);
  n->batch = std::move(b);
  n->offset = offset;
  push(n);
}

void io_loop::push_close(std::shared_ptr<loop_connection> c, std::uint16_t code,
                         std::string reason) {
  auto* n = new node;
  n->what = kind::close;
  n->conn = std::move(c);
  n->code = code;
  n->reason = std::move(reason);
  push(n);
}

void io_loop::push_task(std::function<void()> task) {
  auto* n = new node;
  n->what = kind::task;
  n->task = std::move(task);
  push(n);
}

void io_loop::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  if (deferred_.size() == 1)
    asio::post(ioc_, [this] {
      auto fns = std::move(deferred_);
      deferred_.clear();
      for (auto& f : fns)
        f();
    });
}

void io_loop::drain() {
  drain_scheduled_ = false;
  node* list = head_.exchange(nullptr, std::memory_order_acquire);
  // The list is newest-first: reverse it so each session's sends keep their order.
  node* fifo = nullptr;
  while (list) {
    node* next = list->next;
    list->next = fifo;
    fifo = list;
    list = next;
  }
  // HTTP replies first: they never share a connection with event frames, and a publisher
  // answered now rather than after thousands of writes keeps bursts coming.
  for (node* n = fifo; n; n = n->next)
    if (n->what == kind::task)
      n->task();
  // Queueing frames is cheap (a pointer and a header each): do all of it now.
  while (fifo) {
    node* n = fifo;
    fifo = n->next;
    switch (n->what) {
      case kind::frame:
        n->conn->enqueue_frame(n->frame);
        break;
      case kind::batch:
        n->conn->enqueue_batch(*n->batch, n->offset);
        break;
      case kind::close:
        n->conn->start_close(n->code, std::move(n->reason));
        break;
      case kind::task:
        break;
    }
    delete n;
  }
  // Writing is the expensive part (a syscall and the TCP stack per connection): a bounded
  // slice per pass, oldest first. Between slices the loop reads its sockets -- new publishes
  // among them -- and frames published meanwhile join the queues of connections still
  // waiting, so they leave in the same writev.
  for (std::size_t i = 0; i < flush_slice && !dirty_.empty(); ++i) {
    auto c = std::move(dirty_.front());
    dirty_.pop_front();
    c->flush_dirty();
  }
  if (!dirty_.empty())
    schedule_drain();
}

void io_loop::schedule_drain() {
  if (!drain_scheduled_) {
    drain_scheduled_ = true;
    asio::post(ioc_, [this] { drain(); });
  }
}

} // namespace sy
