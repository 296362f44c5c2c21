// PostgreSQL change capture (net/pg): CopyData and pgoutput decoding, the row-change JSON and
// the value mapping. The input is a stream of frames (a 2-byte big-endian length, then that
// many bytes), each read as the replication session hands them over: a CopyData payload ('w'
// carrying a pgoutput message, 'k'), else a bare pgoutput message. Decoded Relations are kept
// like the source actor keeps them, and each decoded change of a known relation becomes event
// data. Invariants: a decoded message is refused one byte shorter and one byte longer (no
// over-read, no silent trailing bytes); every JSON written is valid, with finite numbers
// only; a change whose tuples fit its relation is never refused.
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "fuzz_check.hpp"
#include "net/pg/change_json.hpp"
#include "net/pg/pgoutput.hpp"
#include "schema/json_text.hpp"

namespace {

namespace pg = sy::pg;

// Every type with its own mapping, the arrays, and one type that has none (point).
constexpr std::uint32_t type_oids[] = {16,   21,   23,   20,   26,   700,  701,  1700, 25,
                                       1043, 1042, 19,   18,   2950, 114,  3802, 1184, 1114,
                                       1082, 1083, 1266, 17,   1000, 1005, 1007, 1016, 1009,
                                       1015, 1014, 1021, 1022, 1231, 2951, 199,  3807, 1115,
                                       1185, 1182, 1003, 1028, 600};

void check_json(const std::string& text) {
  boost::json::error_code ec;
  auto v = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(sy::finite_numbers(v));
}

struct relations {
  std::vector<pg::relation_msg> known; // a handful: the fuzzer's frames are short

  const pg::relation_msg* find(std::uint32_t oid) const {
    for (const auto& r : known)
      if (r.oid == oid)
        return &r;
    return nullptr;
  }
  void put(pg::relation_msg r) {
    for (auto& k : known)
      if (k.oid == r.oid) {
        k = std::move(r);
        return;
      }
    if (known.size() < 8)
      known.push_back(std::move(r));
  }
};

bool fits(const pg::relation_msg& rel, const pg::change_msg& c) {
  auto n = rel.columns.size();
  return (c.op == 'D' || c.new_tuple.size() == n) && (c.old_kind == 0 || c.old_tuple.size() == n);
}

void check_change(const pg::relation_msg& rel, const pg::change_msg& c) {
  std::string out, error;
  bool ok = pg::change_data_json(rel, c, out, error);
  FUZZ_CHECK(ok == fits(rel, c)); // the decoder only makes I without old, D with old
  if (!ok) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  check_json(out);
  FUZZ_CHECK(out.rfind("{\"operation\":\"", 0) == 0);
}

void decode_pgoutput(std::string_view bytes, relations& rels) {
  pg::pgoutput_msg m;
  std::string error;
  if (!pg::decode_pgoutput(bytes, m, error)) {
    FUZZ_CHECK(!error.empty());
    return;
  }
  pg::pgoutput_msg other;
  std::string e2;
  FUZZ_CHECK(!pg::decode_pgoutput(bytes.substr(0, bytes.size() - 1), other, e2));
  FUZZ_CHECK(!pg::decode_pgoutput(std::string(bytes) + '\0', other, e2));
  if (auto* r = std::get_if<pg::relation_msg>(&m)) {
    rels.put(std::move(*r));
  } else if (auto* c = std::get_if<pg::change_msg>(&m)) {
    FUZZ_CHECK(c->op == 'I' || c->op == 'U' || c->op == 'D');
    FUZZ_CHECK(c->op != 'I' || c->old_kind == 0);
    FUZZ_CHECK(c->op != 'D' || (c->old_kind != 0 && c->new_tuple.empty()));
    if (const auto* rel = rels.find(c->relation_oid))
      check_change(*rel, *c);
    // Any relation of the right width: the mapping of every column type gets exercised.
    for (const auto& k : rels.known) {
      auto moved = *c;
      moved.relation_oid = k.oid;
      check_change(k, moved);
    }
  }
}

void decode_frame(std::string_view frame, relations& rels) {
  if (!frame.empty() && (frame[0] == 'w' || frame[0] == 'k')) {
    pg::copy_message m;
    std::string error;
    if (!pg::decode_copy_data(frame, m, error)) {
      FUZZ_CHECK(!error.empty());
      return;
    }
    pg::copy_message other;
    if (auto* x = std::get_if<pg::xlog_data>(&m)) {
      FUZZ_CHECK(frame.size() >= 25 && x->payload == frame.substr(25));
      FUZZ_CHECK(!pg::decode_copy_data(frame.substr(0, 24), other, error));
      if (!x->payload.empty())
        decode_pgoutput(x->payload, rels);
    } else {
      FUZZ_CHECK(frame.size() == 18);
      FUZZ_CHECK(!pg::decode_copy_data(frame.substr(0, 17), other, error));
    }
    return;
  }
  decode_pgoutput(frame, rels);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = sy::fuzz::as_text(data, size);
  // The whole input as one value of the type its first byte picks.
  if (!in.empty()) {
    std::string out;
    auto oid = type_oids[data[0] % (sizeof type_oids / sizeof type_oids[0])];
    pg::append_value_json(out, oid, in.substr(1));
    check_json(out);
  }
  relations rels;
  while (in.size() >= 2) {
    std::size_t n = (static_cast<unsigned char>(in[0]) << 8) | static_cast<unsigned char>(in[1]);
    in.remove_prefix(2);
    auto frame = in.substr(0, n);
    in.remove_prefix(frame.size());
    decode_frame(frame, rels);
  }
  return 0;
}
