#pragma once
// What a source has received, published and may confirm to PostgreSQL. A slot resumes at the
// position a client confirmed as flushed, so that position may only pass a transaction once
// every change of it, and of every transaction before it, is stored: this class keeps that
// rule. Changes are numbered by tickets in stream order; transactions are contiguous ranges of
// tickets; acks arrive in any order (different channels store independently). No I/O, no
// actor: the source actor feeds it (tests/unit/source_progress_test.cpp).
#include <cstdint>
#include <deque>

#include "net/pg/lsn.hpp"

namespace sy {

class source_progress {
public:
  /// The server's BEGIN: a transaction committing at `commit_lsn` (at `commit_ms`, Unix ms).
  void begin(pg::lsn_t commit_lsn, std::int64_t commit_ms);
  /// One change of the open transaction was published: its ticket.
  std::uint64_t change();
  /// The open transaction's COMMIT; `end_lsn` is what a client confirms for it.
  void commit(pg::lsn_t end_lsn);
  /// A keepalive (or a transaction's data) says the server has sent everything before `lsn`:
  /// with nothing open or unstored, that position may be confirmed as well (the slot then
  /// skips WAL of tables outside the publication).
  void server_position(pg::lsn_t lsn);
  /// The change with `ticket` is stored. Returns false for a ticket this stream never issued
  /// or already acked.
  bool stored(std::uint64_t ticket);

  /// The position to confirm as flushed: every transaction ending at or before it is stored.
  pg::lsn_t confirmable() const noexcept { return confirmable_; }
  /// The end of the last transaction received (its COMMIT's end LSN).
  pg::lsn_t received() const noexcept { return received_; }
  /// Changes published and not stored yet.
  std::uint64_t in_flight() const noexcept { return in_flight_; }
  /// Commit time of the oldest transaction not confirmable yet; 0 when none.
  std::int64_t oldest_unconfirmed_ms() const noexcept;
  bool in_transaction() const noexcept { return open_; }

private:
  struct txn {
    std::uint64_t first_ticket = 0;
    std::uint64_t end_ticket = 0; // one past the last (== first while open and empty)
    std::uint64_t unstored = 0;
    pg::lsn_t end_lsn = 0;
    std::int64_t commit_ms = 0;
    bool closed = false;
  };
  void advance();

  std::deque<txn> txns_; // received, not yet confirmable, oldest first
  std::uint64_t next_ticket_ = 1;
  std::uint64_t in_flight_ = 0;
  pg::lsn_t confirmable_ = 0;
  pg::lsn_t received_ = 0;
  pg::lsn_t server_ = 0;
  bool open_ = false;
};

} // namespace sy
