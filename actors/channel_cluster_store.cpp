// The cluster roles' parts that exist for the durable store (CLUSTER.md, "The durable store in
// a cluster"): an owner's publish is acknowledged once its own store and its replicas have
// it, and keys received from another node are remembered until their own expiry.
#include "actors/channel_state.hpp"

#include <algorithm>

namespace sy::channel_impl {

namespace {

// The owner with a store acknowledges a publish once the store has written it (the store
// answers first: channel_store.cpp) AND every replica has its burst. The store's answer
// completes this; it holds the publish with its burst until the replicas ack (flush,
// hold_for_replicas), as a memory owner does. Replicas get a burst only after the owner's
// store wrote it, so an event the owner refused (507) never reaches a replica and its seq is
// used again by the next publish without two histories disagreeing.
class replica_gate final : public completion<publish_result> {
public:
  replica_gate(channel_ptr self, publish_completion done) : self_(self), done_(std::move(done)) {
  }
  void complete(const publish_result& r) override {
    auto& st = self_->state;
    if (r.duplicate || !has_audience(st) || (replicas_waited_for(st) == 0 && st.inflight.empty()))
      return done_->complete(r);
    st.pending_done.emplace_back(done_, r);
  }
  void fail(errc code, std::string detail) override {
    done_->fail(code, std::move(detail));
  }

private:
  channel_ptr self_; // completed only in the channel's own turns (store answer, forward reply)
  publish_completion done_;
};

} // namespace

publish_completion complete_after_replicas(channel_ptr self, publish_completion done) {
  return std::make_shared<replica_gate>(self, std::move(done));
}

// Remembers the keys of a sync from scratch or an adopted state, each until its own expiry.
void take_receipts(channel_ptr self, std::vector<store_receipt> receipts) {
  auto& st = self->state;
  std::sort(receipts.begin(), receipts.end(),
            [](const auto& a, const auto& b) { return a.expires_ms < b.expires_ms; });
  auto window_ms = st.args.cfg->idempotency_window_ms;
  for (const auto& r : receipts) {
    event e;
    e.seq = r.seq;
    e.timestamp_ms = r.timestamp_ms;
    e.type = r.type;
    e.correlation_id = r.correlation_id;
    st.idempotency->remember(r.key, e, r.expires_ms - window_ms);
  }
}

} // namespace sy::channel_impl
