// A source's stream: CopyData payloads -> pgoutput messages -> publishes in commit order
// (actors/source_state.hpp).
#include <variant>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "actors/source_state.hpp"
#include "net/pg/change_json.hpp"
#include "schema/workspace.hpp"

namespace sy {

namespace {

// Completes by telling the source, whichever actor completes it. Dropped unanswered (the
// channel is gone), it reports a failure: the source then resumes from the slot.
class source_completion final : public completion<publish_result> {
public:
  source_completion(source_actor src, std::uint64_t generation, std::uint64_t ticket)
    : src_(std::move(src)), generation_(generation), ticket_(ticket) {
  }
  ~source_completion() override {
    report(false);
  }
  void complete(const publish_result&) override {
    report(true);
  }
  void fail(errc, std::string) override {
    report(false);
  }
  // The next change may go to another channel: this one must reach the subscribers first.
  bool after_delivery() const noexcept override {
    return true;
  }

private:
  void report(bool ok) {
    if (auto s = std::move(src_)) {
      src_ = nullptr;
      caf::anon_send(s, srcack_atom::value, generation_, ticket_, ok);
    }
  }
  source_actor src_;
  std::uint64_t generation_;
  std::uint64_t ticket_;
};

// Tables of the public schema keep their name; others are "schema.table".
std::string table_name(const pg::relation_msg& rel) {
  return rel.nspname == "public" ? rel.name : rel.nspname + "." + rel.name;
}

bool table_wanted(const source_config& cfg, const pg::relation_msg& rel) {
  if (cfg.tables.empty())
    return true;
  auto qualified = rel.nspname + "." + rel.name;
  for (const auto& t : cfg.tables)
    if (t == rel.name || t == qualified)
      return true;
  return false;
}

// false: the source must wait for acks before publishing to `channel`.
bool may_publish(source_ptr self, const std::string& channel) {
  auto& st = self->state;
  if (st.progress.in_flight() >= st.args.cfg.max_in_flight)
    return false;
  return st.progress.in_flight() == 0 || channel == st.flight_channel;
}

void publish_change(source_ptr self, const std::string& channel, std::string type,
                    std::string data, pg::lsn_t change_lsn) {
  auto& st = self->state;
  publish_cmd cmd;
  cmd.channel = channel;
  cmd.type = std::move(type);
  cmd.data_json = std::move(data);
  cmd.idempotency_key = "pg:" + st.args.cfg.slot + ":" + pg::format_lsn(st.commit_lsn) + ":"
                        + std::to_string(st.ordinal);
  cmd.correlation_id = pg::format_lsn(change_lsn);
  cmd.source_time_ms = st.commit_ms;
  auto ticket = st.progress.change();
  st.flight_channel = channel;
  st.batch.items.push_back({std::move(cmd), std::make_shared<source_completion>(
                                              caf::actor_cast<source_actor>(self),
                                              st.generation, ticket)});
}

enum class step { done, wait, broken };

step handle_change(source_ptr self, const pg::change_msg& c, pg::lsn_t lsn,
                   pg::session_error& err) {
  auto& st = self->state;
  auto rel = st.relations.find(c.relation_oid);
  if (rel == st.relations.end()) {
    err = {pg::failure::protocol,
           "a change for relation " + std::to_string(c.relation_oid) + " before its description"};
    return step::broken;
  }
  if (!table_wanted(st.args.cfg, rel->second))
    return step::done;
  auto channel = workspace_channel(st.args.cfg.workspace, "postgres:" + table_name(rel->second));
  if (!may_publish(self, channel))
    return step::wait;
  std::string data;
  std::string why;
  if (!pg::change_data_json(rel->second, c, data, why)) {
    err = {pg::failure::protocol, "table " + rel->second.name + ": " + why};
    return step::broken;
  }
  ++st.ordinal;
  publish_change(self, channel, std::string(pg::operation_name(c.op)), std::move(data), lsn);
  return step::done;
}

step handle_truncate(source_ptr self, const pg::truncate_msg& t, pg::lsn_t lsn,
                     pg::session_error& err) {
  auto& st = self->state;
  // All or nothing: a truncate of several tables waits until it may publish every one.
  if (st.progress.in_flight() > 0)
    return step::wait;
  for (auto oid : t.relation_oids) {
    auto rel = st.relations.find(oid);
    if (rel == st.relations.end()) {
      err = {pg::failure::protocol, "a truncate of relation " + std::to_string(oid)
                                      + " before its description"};
      return step::broken;
    }
    if (!table_wanted(st.args.cfg, rel->second))
      continue;
    auto channel =
      workspace_channel(st.args.cfg.workspace, "postgres:" + table_name(rel->second));
    ++st.ordinal;
    std::string data = "{\"operation\":\"TRUNCATE\",\"table\":";
    data += boost::json::serialize(boost::json::value(rel->second.name));
    data += '}';
    publish_change(self, channel, "TRUNCATE", std::move(data), lsn); // all tables together
  }
  return step::done;
}

step handle_xlog(source_ptr self, const pg::xlog_data& x, pg::session_error& err) {
  auto& st = self->state;
  pg::pgoutput_msg msg;
  std::string why;
  if (!pg::decode_pgoutput(x.payload, msg, why)) {
    err = {pg::failure::protocol, "pgoutput: " + why};
    return step::broken;
  }
  if (auto* b = std::get_if<pg::begin_msg>(&msg)) {
    st.commit_lsn = b->final_lsn;
    st.commit_ms = pg::unix_ms(b->commit_time);
    st.ordinal = 0;
    st.progress.begin(b->final_lsn, st.commit_ms);
  } else if (auto* c = std::get_if<pg::commit_msg>(&msg)) {
    st.progress.commit(c->end_lsn);
  } else if (auto* r = std::get_if<pg::relation_msg>(&msg)) {
    st.relations[r->oid] = std::move(*r);
  } else if (auto* ch = std::get_if<pg::change_msg>(&msg)) {
    return handle_change(self, *ch, x.wal_start, err);
  } else if (auto* t = std::get_if<pg::truncate_msg>(&msg)) {
    return handle_truncate(self, *t, x.wal_start, err);
  }
  return step::done;
}

} // namespace

bool handle_queue(source_ptr self, pg::session_error& err) {
  auto& st = self->state;
  while (!st.queue.empty()) {
    pg::copy_message m;
    std::string why;
    if (!pg::decode_copy_data(st.queue.front(), m, why)) {
      err = {pg::failure::protocol, "replication stream: " + why};
      return false;
    }
    if (auto* k = std::get_if<pg::keepalive>(&m)) {
      st.server_lsn = std::max(st.server_lsn, k->wal_end);
      st.progress.server_position(k->wal_end);
      st.reply_requested = st.reply_requested || k->reply_requested;
    } else {
      auto& x = std::get<pg::xlog_data>(m);
      st.server_lsn = std::max(st.server_lsn, x.wal_end);
      switch (handle_xlog(self, x, err)) {
        case step::broken:
          return false;
        case step::wait:
          st.blocked = true;
          return true; // this payload stays first in the queue
        case step::done:
          break;
      }
    }
    st.queue.pop_front();
  }
  st.blocked = false;
  return true;
}

void send_batch(source_ptr self) {
  auto& st = self->state;
  if (st.batch.items.empty())
    return;
  self->send(st.args.directory, publish_atom::value, std::move(st.batch));
  st.batch = publish_request{};
}

void change_stored(source_ptr self, std::uint64_t generation, std::uint64_t ticket, bool ok) {
  auto& st = self->state;
  if (generation != st.generation)
    return; // an earlier stream's: the slot resent (or will resend) it
  if (!ok) {
    fail_stream(self, {pg::failure::disconnected,
                       "a change could not be stored; resuming from the slot"});
    return;
  }
  if (!st.progress.stored(ticket))
    return;
  ++st.changes;
  st.gauges->changes.store(st.changes, std::memory_order_relaxed);
  if (st.blocked && st.progress.in_flight() == 0)
    st.blocked = false;
  else if (st.blocked && st.progress.in_flight() < st.args.cfg.max_in_flight / 2)
    st.blocked = false; // a full window drained by half: read again
  maybe_send_status(self);
  schedule_pump(self);
}

} // namespace sy
