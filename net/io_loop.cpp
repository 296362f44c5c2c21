#include "net/io_loop.hpp"

#include <boost/asio/post.hpp>

#include "net/ws_connection.hpp"

namespace sy {

io_loop::~io_loop() {
  // Nodes left when the loop stopped: free them (their connections report closed on destroy).
  node* n = head_.exchange(nullptr);
  while (n) {
    node* next = n->next;
    delete n;
    n = next;
  }
}

void io_loop::push(node* n) {
  node* old = head_.load(std::memory_order_relaxed);
  do {
    n->next = old;
  } while (!head_.compare_exchange_weak(old, n, std::memory_order_release,
                                        std::memory_order_relaxed));
  if (old == nullptr) // the list was empty: nobody has scheduled a drain yet
    asio::post(ioc_, [this] { drain(); });
}

void io_loop::push_frame(std::shared_ptr<ws_connection> c, frame_ptr f) {
  auto* n = new node;
  n->what = kind::frame;
  n->conn = std::move(c);
  n->frame = std::move(f);
  push(n);
}

void io_loop::push_batch(std::shared_ptr<ws_connection> c, event_batch b, std::uint32_t offset) {
  auto* n = new node;
  n->what = kind::batch;
  n->conn = std::move(c);
  n->batch = std::move(b);
  n->offset = offset;
  push(n);
}

void io_loop::push_close(std::shared_ptr<ws_connection> c, std::uint16_t code,
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
  node* list = head_.exchange(nullptr, std::memory_order_acquire);
  // The list is newest-first: reverse it so each session's sends keep their order.
  node* fifo = nullptr;
  while (list) {
    node* next = list->next;
    list->next = fifo;
    fifo = list;
    list = next;
  }
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
        n->task();
        break;
    }
    delete n;
  }
  // One gather-write per touched connection for everything this pass queued.
  auto dirty = std::move(dirty_);
  dirty_.clear();
  for (auto& c : dirty)
    c->flush_dirty();
  dirty.clear();
  if (dirty.capacity() > dirty_.capacity())
    dirty_.swap(dirty); // keep the larger array for the next pass
}

} // namespace sy
