#pragma once
// Tracks live connections so shutdown can close them. Touched only on its strand (or after the
// I/O threads have been joined), so no lock is needed.
#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

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

class conn_registry : public std::enable_shared_from_this<conn_registry> {
public:
  explicit conn_registry(asio::io_context& ioc) : strand_(asio::make_strand(ioc)) {
  }

  void add(const std::shared_ptr<closable>& c) {
    live_.fetch_add(1);
    asio::post(strand_, [self = shared_from_this(), w = std::weak_ptr<closable>(c),
                         key = c.get()] {
      if (self->stopping_) {
        if (auto p = w.lock())
          p->shutdown();
      }
      self->items_.emplace(key, w);
    });
  }

  void remove(closable* key) {
    live_.fetch_sub(1);
    asio::post(strand_, [self = shared_from_this(), key] { self->items_.erase(key); });
  }

  void shutdown_all() {
    asio::post(strand_, [self = shared_from_this()] {
      self->stopping_ = true;
      for (auto& [key, w] : self->items_)
        if (auto p = w.lock())
          p->shutdown();
    });
  }

  std::size_t live() const {
    return live_.load();
  }

  /// Only after the I/O threads were joined.
  std::vector<std::shared_ptr<closable>> leftovers() {
    std::vector<std::shared_ptr<closable>> out;
    for (auto& [key, w] : items_)
      if (auto p = w.lock())
        out.push_back(std::move(p));
    return out;
  }

private:
  asio::strand<asio::io_context::executor_type> strand_;
  std::unordered_map<closable*, std::weak_ptr<closable>> items_;
  std::atomic<std::size_t> live_{0};
  bool stopping_ = false;
};

} // namespace sy
