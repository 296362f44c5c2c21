#pragma once
// Adapters between the one completion-based form of publish and history (the directory's and
// the channel's only form) and the callers that are actors: one that wants no answer (log
// records, audit) and one that answers a CAF request (the cluster actor serving other nodes).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "schema/messages.hpp"

namespace sy {

/// Publishes whose result nobody waits for: one shared completion that ignores it, so a log
/// record costs no completion object of its own.
publish_completion unanswered_publish();

/// One request for the publish_cmds in `cmds` (moved from), none of them answered.
template <class Range>
publish_request unanswered(Range&& cmds) {
  publish_request req;
  for (auto& cmd : cmds)
    req.items.push_back({std::move(cmd), unanswered_publish()});
  return req;
}

/// Answers a CAF request when the work is completed, by whichever actor completes it (the
/// channel, usually): the response goes straight to the requester, not back through the actor
/// that made the promise. CAF's response_promise::deliver must run on its own actor (it
/// schedules through that actor's execution unit); this enqueues with none, which any thread
/// may do. Dropped unanswered, it answers errc::unavailable. `Reply` is what the requester
/// expects, made from the local result by `convert`.
template <class Result, class Reply>
class response_completion final : public completion<Result> {
public:
  using convert_fn = Reply (*)(const Result&);

  /// `rp` is the promise of a request made directly to `self` (no forwarding stages); the
  /// handler returns it, and this delivers in its place.
  response_completion(caf::strong_actor_ptr self, caf::typed_response_promise<Reply>& rp,
                      convert_fn convert)
    : response_completion(std::move(self), static_cast<caf::response_promise&>(rp), convert) {
  }
  response_completion(caf::strong_actor_ptr self, const caf::response_promise& rp,
                      convert_fn convert)
    : self_(std::move(self)), to_(rp.next()), id_(rp.id()), convert_(convert) {
  }
  ~response_completion() override {
    answer(caf::make_message(make_error(errc::unavailable, "the router did not answer")));
  }
  void complete(const Result& r) override {
    answer(caf::make_message(convert_(r)));
  }
  void fail(errc code, std::string detail) override {
    answer(caf::make_message(make_error(code, std::move(detail))));
  }

private:
  void answer(caf::message msg) {
    if (auto to = std::move(to_)) {
      to_ = nullptr;
      to->enqueue(self_, id_.response_id(), std::move(msg), nullptr);
    }
  }

  caf::strong_actor_ptr self_;
  caf::strong_actor_ptr to_;
  caf::message_id id_;
  convert_fn convert_;
};

} // namespace sy
