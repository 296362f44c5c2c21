#include "actors/inline_runner.hpp"

#include <memory>

#include <caf/scheduler/coordinator.hpp>

namespace sy {

thread_local inline_runner* inline_runner::active_ = nullptr;

inline_runner* inline_runner::for_this_thread(caf::actor_system& sys) {
  thread_local std::unique_ptr<inline_runner> runner;
  thread_local caf::scheduler::abstract_coordinator* probed = nullptr; // for this scheduler
  if (probed != &sys.scheduler()) {
    probed = &sys.scheduler();
    runner.reset();
    using coordinator = caf::scheduler::coordinator<affine_sharing>;
    if (auto* c = dynamic_cast<coordinator*>(probed))
      runner.reset(new inline_runner(sys, c->data()));
  }
  return runner.get();
}

inline_runner::inline_runner(caf::actor_system& sys, affine_sharing::coordinator_data& central)
  : caf::execution_unit(&sys), central_(central) {
}

bool inline_capture(caf::resumable* job) {
  return inline_runner::capture(job);
}

bool inline_runner::capture(caf::resumable* job) {
  auto* r = active_;
  if (r == nullptr || !r->capture_)
    return false;
  r->woken_.push_back(job);
  return true;
}

void inline_runner::exec_later(caf::resumable* job) {
  if (slot_ != nullptr)
    affine_sharing::push_central(central_, slot_);
  slot_ = job;
}

void inline_runner::drain(std::size_t budget) {
  std::size_t next_woken = 0;
  for (std::size_t turns = 0; turns < budget; ++turns) {
    caf::resumable* job = nullptr;
    if (slot_ != nullptr) {
      job = slot_;
      slot_ = nullptr;
    } else if (next_woken < woken_.size()) {
      job = woken_[next_woken++];
    } else {
      break;
    }
    switch (job->resume(this, messages_per_turn)) {
      case caf::resumable::resume_later:       // its turn ended with messages left
      case caf::resumable::shutdown_execution_unit: // the scheduler's own job: not ours
        affine_sharing::push_central(central_, job);
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message:
        caf::intrusive_ptr_release(job); // the reference the enqueue took
        break;
    }
  }
  // Over budget: the workers take the rest.
  if (slot_ != nullptr)
    affine_sharing::push_central(central_, slot_);
  slot_ = nullptr;
  for (; next_woken < woken_.size(); ++next_woken)
    affine_sharing::push_central(central_, woken_[next_woken]);
  woken_.clear();
}

} // namespace sy
