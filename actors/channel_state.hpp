#pragma once
// The channel actor's state and the functions its three files share (not an interface: only
// actors/channel*.cpp include it). channel_core.cpp is the local owner (sequence, history,
// idempotency, fan-out, subscribe, history reads, retirement); channel_cluster.cpp the cluster
// roles (relay, adopt, promote, replica acks, and the stash that holds work until the channel
// is synced or adopted); channel.cpp the message handlers.
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/channel.hpp"
#include "actors/history_store.hpp"
#include "actors/idempotency_window.hpp"
#include "actors/retirement_clock.hpp"
#include "actors/subscriber_set.hpp"
#include "metrics/hooks.hpp"
#include "schema/cluster.hpp"

namespace sy::channel_impl {

struct channel_state {
  metrics::live_count live{metrics::channels}; // GET /metrics: live channels
  channel_args args;
  namespace_config ns;
  std::unique_ptr<history_store> history;
  std::unique_ptr<idempotency_window> idempotency;
  std::uint64_t next_seq = 1;
  subscriber_set subs;
  std::vector<pattern_actor> patterns; // wildcard subscriptions matching this channel
  std::vector<pattern_actor> remote_patterns; // ... on other nodes (while this node owns it)
  retirement_clock retirement;
  bool told_stored = false; // the directory knows this channel holds events
  std::vector<event_ptr> pending; // published, not yet fanned out
  std::vector<std::pair<publish_completion, publish_result>> pending_done; // cluster: acked later
  // Completions that wait for the next flush's local fan-out (completion::after_delivery).
  std::vector<std::pair<publish_completion, publish_result>> after_fanout;
  bool flush_scheduled = false;
  std::chrono::steady_clock::time_point last_flush{};

  // -- cluster --
  struct relay {
    channel_actor who;
    bool replica = false;
  };
  struct inflight { // a burst sent to the replicas, waiting for their acks
    event_batch all;
    std::vector<std::pair<publish_completion, publish_result>> done;
    std::size_t waiting = 0;
    std::uint64_t id = 0;
  };
  cluster_actor owner;         // set: this channel is a relay of the owner node
  bool synced = true;          // relay: holds the owner's history
  bool adopting = false;       // owner: fetching the state of other nodes before sequencing
  bool awaiting_sync = false;  // relay: a follow request is unanswered (retried until it is)
  std::uint64_t follow_generation = 0; // a retry timer of an older follow request is stale
  std::vector<std::function<void()>> stash; // work that waits for synced / adopted
  std::vector<relay> relays;   // owner: relays on other nodes
  std::deque<inflight> inflight;
  std::uint64_t next_inflight = 1;
  std::chrono::milliseconds timeout{2000};
  // With a store: writes of events sequenced elsewhere (a relay's bursts and syncs, an
  // adopted state) not answered yet. The relay acks a burst only once it is written.
  std::uint32_t sequenced_writes = 0;
  // A relay's store failed a write: it lacks events this channel holds. The next follow asks
  // for the owner's whole history, which replaces what the store holds.
  bool store_behind = false;

  // -- storage.engine = rocksdb (channel_store.cpp); all unused with the memory engine --
  struct queued_publish {
    publish_cmd cmd;
    publish_completion done;
  };
  // Publishes not yet sent to the store: taken in this turn, or while the channel waits (the
  // most appends are in flight, or a failed one has not drained yet).
  std::vector<queued_publish> queued;
  // Appends sent to the store and not answered yet, oldest first. Several may be in flight, so
  // the store's next batch can hold a channel's publishes while its current batch syncs; the
  // store answers them in order. The history, the idempotency window and next_seq hold only
  // what the store has written: an append enters them when it is answered.
  struct append_in_flight {
    std::vector<event_ptr> events;
    std::vector<std::pair<publish_completion, publish_result>> done;
  };
  std::deque<append_in_flight> appends;
  std::uint64_t unstored_events = 0; // events in `appends`: the next append's seqs follow them
  // Idempotency keys of the events in `appends`: a retry while its original is in flight is
  // answered with it.
  std::unordered_map<std::string, event_ptr> unstored_keys;
  // An append failed: the store refuses the ones sent after it (their seqs would leave a gap),
  // and new publishes wait until all of them are answered, then follow the last stored seq.
  // The generation tells the store which appends came after the failure.
  bool append_failed = false;
  std::uint64_t append_generation = 0;
  bool loading = false;       // the channel's stored state is being read: work waits (stash)
  bool store_failed = false;  // loading failed: publishes are refused insufficient_storage
  std::chrono::steady_clock::time_point load_failed_at{}; // a publish a second later retries
  std::uint64_t store_trimmed = 0; // the store holds no event with seq <= this
  std::size_t reads_in_flight = 0; // store reads for pages and replays not answered yet
  // Subscribes and history reads that arrived after publishes not yet written: they run once
  // those are (answered either way), so they see them as history, as with the memory engine,
  // and not live. `first` is the count of publishes that must be answered before.
  std::uint64_t publishes_taken = 0;
  std::uint64_t publishes_answered = 0;
  std::deque<std::pair<std::uint64_t, std::function<void()>>> after_publishes;

  static inline const char* name = "channel";
};

using channel_ptr = channel_actor::stateful_pointer<channel_state>;

inline std::uint64_t last_seq(const channel_state& st) {
  return st.next_seq - 1;
}

// Somebody hears this channel's bursts: local subscribers, patterns, relays (replicas).
inline bool has_audience(const channel_state& st) {
  return !st.subs.empty() || !st.patterns.empty() || !st.relays.empty()
         || !st.remote_patterns.empty();
}

// -- channel_core.cpp: the channel on its own node ------------------------------------------------

std::unique_ptr<idempotency_window> make_window(const channel_args& a);
event_ptr original_event(const channel_state& st, const idempotency_receipt& r,
                         const std::string& key);
event_ptr new_event(const channel_state& st, publish_cmd& cmd, std::uint64_t seq,
                    std::int64_t now_ms);
void note_stored(channel_ptr self);
void schedule_flush(channel_ptr self);
void fan_out_local(channel_ptr self, const event_batch& all);
std::vector<event> plain_events(const event_batch& all);
void flush(channel_ptr self);
void handle_publish(channel_ptr self, publish_cmd& cmd, const publish_completion& done);
void subscribe(channel_ptr self, const sub_request& req);
void register_subscriber(channel_ptr self, const sub_request& req, std::vector<event_ptr> replay,
                         bool recovered);
void answer_history(channel_ptr self, const history_request& req);
bool unused(const channel_state& st);
void check_unused_soon(channel_ptr self);
void on_unused_check(channel_ptr self);

// -- channel_store.cpp: the durable store (storage.engine = rocksdb) ---------------------------

void start_loading(channel_ptr self);
void queue_publish(channel_ptr self, publish_cmd& cmd, const publish_completion& done);
void start_append(channel_ptr self);
// Runs `work` now, or once the publishes that arrived before it are answered.
void after_earlier_publishes(channel_ptr self, std::function<void()> work);
bool store_busy(const channel_state& st); // loading, or publishes not yet written
// Writes events sequenced elsewhere (a relay's burst or sync, an adopted state; consecutive,
// already in the hot tail), their receipts and the channel's epoch and next seq; `replace`
// first deletes what the store holds of the channel (a new epoch or an unrecoverable gap).
// `older_receipts`: keys of events not in `events` (a sync from scratch, an adopted state).
// `then` gets the store's error, or none once the write is durable.
void store_sequenced(channel_ptr self, std::vector<event_ptr> events,
                     std::vector<store_receipt> older_receipts, bool replace,
                     std::function<void(const caf::error&)> then);

// -- channel_reads.cpp: history from the hot tail and the store ---------------------------------

// The oldest seq a read may return: the ring's first (memory engine), or the first of the last
// history.size events the store still holds.
std::uint64_t oldest_kept(const channel_state& st);
// Calls `done` with the events after `after` (at most `limit`, about `max_bytes`), oldest first
// and contiguous: now when the ring holds them, else once the store has answered, in that turn.
void read_events(channel_ptr self, std::uint64_t after, std::size_t limit,
                 std::uint64_t max_bytes, std::function<void(std::vector<event_ptr>)> done);

// -- channel_ttl.cpp: history TTL ----------------------------------------------------------------

// Events stamped before this have expired; 0 when the channel's namespace has no TTL.
std::int64_t ttl_cutoff_ms(const channel_state& st, std::int64_t now_ms);
// Drops the expired events from the hot tail and trims them from the store. Called before
// every read, subscribe and append, on the idle tick and when the channel retires.
void expire_history(channel_ptr self);
// Deletes the channel's stored events through `seq` (once: store_trimmed remembers it).
void trim_store_through(channel_ptr self, std::uint64_t seq);

// -- channel_cluster.cpp: relay, adopt, promote, replica acks -----------------------------------

bool ready(channel_ptr self); // synced (relay) and not adopting (owner): work may run now
void run_stash(channel_ptr self); // runs stashed work in order while the channel is ready
void begin_role(channel_ptr self); // a relay follows its owner, an owner adopts (after loading)
std::size_t replicas_waited_for(const channel_state& st);
void feed_relays(channel_ptr self, const event_batch& all);
void hold_for_replicas(channel_ptr self, event_batch all);
void send_follow(channel_ptr self);
void reset_history(channel_ptr self, std::uint64_t epoch);
event_ptr take_event(channel_ptr self, const event& e, bool fan_out);
void on_sync(channel_ptr self, const follow_sync& sync);
caf::result<std::uint64_t> on_replicated(channel_ptr self, const std::vector<event>& events);
follow_sync make_sync(channel_ptr self, const cursor& after, bool has_after,
                      bool with_receipts = false);
caf::result<follow_sync> on_fetch(channel_ptr self, const fetch_request& req);
void add_relay(channel_ptr self, const follow_request& req);
void follow(channel_ptr self, cluster_actor owner);
void promote(channel_ptr self);
void adopt(channel_ptr self);

// -- channel_cluster_store.cpp: the cluster roles' parts for the store ---------------------------

// With a store in a cluster: the owner's publish is answered once its store has written it
// and its burst is on the replicas too.
publish_completion complete_after_replicas(channel_ptr self, publish_completion done);
void take_receipts(channel_ptr self, std::vector<store_receipt> receipts);

} // namespace sy::channel_impl
