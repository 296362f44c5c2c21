#pragma once
// Runs actor jobs on a thread outside CAF's scheduler -- an I/O thread -- right after it sent
// them work. Only with scheduler.policy=affine (actors/affine_sharing.hpp).
//
// Why: a REST publish is I/O thread -> directory -> channel -> reply on the I/O thread. Handed
// to a worker, every pass of the I/O loop paid two thread wake-ups (the worker's and the I/O
// thread's), measured at 2-3 us of server CPU per request under wrk on 2 cores -- about the
// whole gap to Nginx's single-threaded publish. Here the I/O thread, having sent a pass's
// publishes, runs the actors that woke up (the directory, then the channel it messaged) itself,
// one after the other through a one-job slot like a worker's, up to a budget; the replies are
// written on this thread. Each turn handles one message: an actor with more waiting (a channel's
// self-sent flush, i.e. its fan-out) goes on to a worker, so fan-out keeps running beside the
// I/O thread's writes. The actors are the same; only the thread that runs them changes.
#include <cstddef>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

#include "actors/affine_sharing.hpp"

namespace sy {

class inline_runner final : public caf::execution_unit {
public:
  /// The runner of the calling thread, or null when the scheduler is not affine_sharing.
  static inline_runner* for_this_thread(caf::actor_system& sys);

  /// Calls `send` (which messages actors from this thread) and then runs, here, the actors it
  /// woke and those they message in turn, at most `budget` times; the rest go to the workers.
  template <class F>
  void run(F&& send, std::size_t budget = 16) {
    capture_ = true;
    active_ = this;
    send();
    active_ = nullptr;
    capture_ = false;
    drain(budget);
  }

  /// An actor run here messaged an idle actor: it runs next, here.
  void exec_later(caf::resumable* job) override;

  /// affine_sharing's central_enqueue asks: a job enqueued from this thread inside run()'s
  /// `send` belongs to this runner.
  static bool capture(caf::resumable* job);

private:
  inline_runner(caf::actor_system& sys, affine_sharing::coordinator_data& central);
  void drain(std::size_t budget);

  affine_sharing::coordinator_data& central_;
  // One message per turn. A publish is one message, answered within it; a channel's fan-out
  // is a second one (its self-sent flush), which then goes to a worker: the I/O thread
  // answers publishers while a worker encodes for the sessions.
  static constexpr std::size_t messages_per_turn = 1;
  caf::resumable* slot_ = nullptr;
  std::vector<caf::resumable*> woken_; // captured from `send`, in order
  bool capture_ = false;
  static thread_local inline_runner* active_;
};

} // namespace sy
