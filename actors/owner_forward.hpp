#pragma once
// Sending a publish to the owner node of its channel (CLUSTER.md), from the directory (no
// channel here) or from a relay: the owner's answer, the stored event by value, is encoded
// locally and completes the request where it came in. A history read forwarded by the
// directory fails the same way (fail_from_owner).
#include <chrono>
#include <string>

#include "metrics/hooks.hpp"
#include "schema/cluster.hpp"
#include "schema/errc_caf.hpp"

namespace sy {

/// Fails `done` with the owner node's answer `err`: a refusal by the owner (quota_exceeded,
/// insufficient_storage, bad_cursor, ...) keeps its code and status, as on the owner; anything
/// else (a timeout, a dead node) is 503 unavailable.
template <class Self, class Done>
void fail_from_owner(Self* self, const Done& done, const caf::error& err) {
  if (auto code = errc_of(err))
    return done->fail(*code, detail_of(err));
  done->fail(errc::unavailable, "the owner node did not answer: " + self->system().render(err));
}

template <class Self>
void forward_to_owner(Self* self, const cluster_actor& owner, std::chrono::milliseconds timeout,
                      publish_cmd cmd, publish_completion done) {
  metrics::forwarded_to_owner(metrics::forward::publish);
  self->request(owner, timeout, publish_atom::value, std::move(cmd))
    .then(
      [done](wire_publish_result& w) {
        auto ev = std::make_shared<const encoded_event>(encode_event(std::move(w.ev)));
        done->complete({std::move(ev), w.duplicate});
      },
      [self, done](const caf::error& err) { fail_from_owner(self, done, err); });
}

} // namespace sy
