#pragma once
// What every REST route answers with: error replies from the error table, the rendering of
// publish results and history pages, and `replier`, the completion a request travels with.
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "metrics/hooks.hpp"
#include "net/http/app_handler.hpp"
#include "schema/messages.hpp"

namespace sy {

/// Status and code from one row of the error table (schema/errc.hpp).
http_reply error_reply(errc e, std::string_view message);

/// 201 with the stored event, or 200 with the original for a duplicate.
http_reply render_publish(const publish_result& r);

/// 200 with a history page: events, nextCursor, hasMore, recovered.
http_reply render_page(const history_page& p);

/// Answers an HTTP request exactly once. The channel completes it directly; if the message is
/// dropped unanswered (the actor is gone), the destructor answers 503.
class replier final : public completion<publish_result>, public completion<history_page> {
public:
  explicit replier(reply_fn fn) : fn_(std::move(fn)) {
  }
  ~replier() override {
    if (fn_) {
      count_failure(errc::unavailable);
      fn_(error_reply(errc::unavailable, "the router did not answer"));
    }
  }
  /// Counts this request's result as a publish by route `r` (GET /metrics).
  void count_publish_as(metrics::route r) noexcept {
    route_ = r;
  }
  void operator()(http_reply r) {
    if (auto fn = std::move(fn_)) {
      fn_ = nullptr;
      fn(std::move(r));
    }
  }
  void complete(const publish_result& r) override {
    if (route_ != metrics::route::count_)
      metrics::published(route_, r.duplicate ? metrics::result_duplicate : metrics::result_ok);
    (*this)(render_publish(r));
  }
  void complete(const history_page& p) override {
    (*this)(render_page(p));
  }
  void fail(errc code, std::string detail) override {
    count_failure(code);
    (*this)(error_reply(code, detail));
  }

private:
  void count_failure(errc code) noexcept {
    if (route_ != metrics::route::count_ && fn_)
      metrics::publish_failed(route_, code);
  }

  reply_fn fn_;
  metrics::route route_ = metrics::route::count_; // count_: not a publish
};

using replier_ptr = std::shared_ptr<replier>;

std::string now_iso();

/// Optional string field: absent/null -> "", string -> itself, number -> its text, else false.
bool optional_text(const boost::json::object& o, const char* key, std::string& out);

/// A channel pattern ("*", exact, or trailing "*") or, for workspaces, a plain id.
bool valid_grant(std::string_view v, bool plain_id);

void set_metadata(publish_cmd& cmd, const boost::json::object& md);

} // namespace sy
