#pragma once
// A completion that answers a REST request with 200 and its result rendered as a JSON object,
// or with the error table's status for a failure (the admin API's routes).
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <boost/json/object.hpp>

#include "net/bridge/rest_reply.hpp"
#include "schema/json_text.hpp"

namespace sy {

template <class Result>
class render_replier final : public completion<Result> {
public:
  using render_fn = std::function<boost::json::object(const Result&)>;
  render_replier(replier_ptr reply, render_fn render)
    : reply_(std::move(reply)), render_(std::move(render)) {
  }
  void complete(const Result& r) override {
    (*reply_)({200, json_text(render_(r)), "application/json"}); // 0.5, not 5E-1
  }
  void fail(errc code, std::string detail) override {
    (*reply_)(error_reply(code, detail));
  }

private:
  replier_ptr reply_;
  render_fn render_;
};

template <class Result, class F>
std::shared_ptr<completion<Result>> render_with(const replier_ptr& reply, F render) {
  return std::make_shared<render_replier<Result>>(reply, std::move(render));
}

} // namespace sy
