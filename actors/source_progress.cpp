#include "actors/source_progress.hpp"

#include <algorithm>

namespace sy {

void source_progress::begin(pg::lsn_t commit_lsn, std::int64_t commit_ms) {
  (void)commit_lsn; // the COMMIT's end LSN is what counts; BEGIN opens the ticket range
  txn t;
  t.first_ticket = t.end_ticket = next_ticket_;
  t.commit_ms = commit_ms;
  txns_.push_back(t);
  open_ = true;
}

std::uint64_t source_progress::change() {
  auto ticket = next_ticket_++;
  if (!txns_.empty() && open_) {
    auto& t = txns_.back();
    t.end_ticket = next_ticket_;
    ++t.unstored;
  }
  ++in_flight_;
  return ticket;
}

void source_progress::commit(pg::lsn_t end_lsn) {
  if (txns_.empty() || !open_)
    return;
  auto& t = txns_.back();
  t.end_lsn = end_lsn;
  t.closed = true;
  open_ = false;
  received_ = std::max(received_, end_lsn);
  advance();
}

void source_progress::server_position(pg::lsn_t lsn) {
  server_ = std::max(server_, lsn);
  if (txns_.empty() && !open_ && in_flight_ == 0)
    confirmable_ = std::max(confirmable_, server_);
}

bool source_progress::stored(std::uint64_t ticket) {
  // Transactions hold ascending, contiguous ticket ranges: find the one holding `ticket`.
  auto it = std::upper_bound(txns_.begin(), txns_.end(), ticket,
                             [](std::uint64_t k, const txn& t) { return k < t.first_ticket; });
  if (it == txns_.begin())
    return false;
  --it;
  if (ticket >= it->end_ticket || it->unstored == 0)
    return false;
  --it->unstored;
  --in_flight_;
  advance();
  return true;
}

void source_progress::advance() {
  while (!txns_.empty() && txns_.front().closed && txns_.front().unstored == 0) {
    confirmable_ = std::max(confirmable_, txns_.front().end_lsn);
    txns_.pop_front();
  }
  if (txns_.empty() && !open_ && in_flight_ == 0)
    confirmable_ = std::max(confirmable_, server_);
}

std::int64_t source_progress::oldest_unconfirmed_ms() const noexcept {
  return txns_.empty() ? 0 : txns_.front().commit_ms;
}

} // namespace sy
