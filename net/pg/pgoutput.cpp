#include "net/pg/pgoutput.hpp"

#include <limits>

namespace sy::pg {

namespace {

// Seconds between the Unix epoch and PostgreSQL's (2000-01-01 00:00:00 UTC).
constexpr std::int64_t pg_epoch_unix_s = 946684800;
constexpr std::int64_t pg_epoch_unix_us = pg_epoch_unix_s * 1000000;

/// Reads big-endian fields from one message. Every read checks the bytes left first; the
/// first failed read records why and every later read fails too, so a decoder can read a
/// whole message and look at `ok()` once per step without ever reading past the end.
class reader {
public:
  reader(std::string_view in, const char* what) : in_(in), what_(what) {}

  bool ok() const noexcept { return error_.empty(); }
  const std::string& error() const noexcept { return error_; }
  std::size_t left() const noexcept { return in_.size(); }

  void fail(std::string why) {
    if (error_.empty())
      error_ = std::string(what_) + ": " + why;
  }

  std::uint64_t uint(std::size_t n) {
    if (!ok())
      return 0;
    if (in_.size() < n) {
      fail("truncated");
      return 0;
    }
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = (v << 8) | static_cast<unsigned char>(in_[i]);
    in_.remove_prefix(n);
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(uint(1)); }
  std::int16_t i16() { return static_cast<std::int16_t>(static_cast<std::uint16_t>(uint(2))); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(uint(4)); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32()); }
  std::uint64_t u64() { return uint(8); }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }

  /// A NUL-terminated string (the NUL is consumed, not returned).
  std::string cstring() {
    if (!ok())
      return {};
    auto nul = in_.find('\0');
    if (nul == std::string_view::npos) {
      fail("unterminated string");
      return {};
    }
    std::string s(in_.substr(0, nul));
    in_.remove_prefix(nul + 1);
    return s;
  }

  std::string_view bytes(std::size_t n) {
    if (!ok())
      return {};
    if (in_.size() < n) {
      fail("truncated");
      return {};
    }
    auto s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }

  std::string_view rest() {
    auto s = in_;
    in_ = {};
    return s;
  }

  /// True when the message was read whole: no failed read and no byte left over.
  bool finish() {
    if (ok() && !in_.empty())
      fail("unexpected trailing bytes");
    return ok();
  }

private:
  std::string_view in_;
  const char* what_;
  std::string error_;
};

std::string kind_text(unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  if (c >= 0x21 && c < 0x7f)
    return std::string("'") + static_cast<char>(c) + "'";
  return std::string("0x") + hex[c >> 4] + hex[c & 0xf];
}

bool done(reader& r, std::string& error) {
  if (r.finish())
    return true;
  error = r.error();
  return false;
}

// -- pgoutput parts --------------------------------------------------------------------------

void read_tuple(reader& r, tuple_data& out) {
  auto n = r.i16();
  if (!r.ok())
    return;
  if (n < 0 || static_cast<std::size_t>(n) > r.left()) { // every column takes >= 1 byte
    r.fail("bad column count " + std::to_string(n));
    return;
  }
  out.clear();
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n && r.ok(); ++i) {
    tuple_value v;
    v.kind = static_cast<char>(r.u8());
    if (!r.ok())
      return;
    if (v.kind == 't') {
      auto len = r.i32();
      if (r.ok() && len < 0)
        r.fail("negative value length");
      else
        v.text = std::string(r.bytes(static_cast<std::size_t>(len)));
    } else if (v.kind == 'b') {
      // Binary values come only with the `binary` option, which this client never sets.
      r.fail("binary column value (binary mode was not requested)");
    } else if (v.kind != 'n' && v.kind != 'u') {
      r.fail("unknown column value kind " + kind_text(static_cast<unsigned char>(v.kind)));
    }
    out.push_back(std::move(v));
  }
}

bool decode_relation(reader& r, relation_msg& m) {
  m.oid = r.u32();
  m.nspname = r.cstring();
  m.name = r.cstring();
  m.replica_identity = static_cast<char>(r.u8());
  auto n = r.i16();
  if (!r.ok())
    return false;
  auto ri = m.replica_identity;
  if (ri != 'd' && ri != 'n' && ri != 'f' && ri != 'i') {
    r.fail("unknown replica identity " + kind_text(static_cast<unsigned char>(ri)));
    return false;
  }
  // A column takes at least 10 bytes (flags, empty name, type, modifier): no reserve beyond
  // what the message can hold.
  if (n < 0 || static_cast<std::size_t>(n) > r.left() / 10) {
    r.fail("bad column count " + std::to_string(n));
    return false;
  }
  m.columns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n && r.ok(); ++i) {
    column_desc c;
    c.key = (r.u8() & 1) != 0;
    c.name = r.cstring();
    c.type_oid = r.u32();
    c.type_mod = r.i32();
    m.columns.push_back(std::move(c));
  }
  return r.ok();
}

void decode_change(reader& r, char op, change_msg& m) {
  m.op = op;
  m.relation_oid = r.u32();
  auto tag = static_cast<char>(r.u8());
  if (!r.ok())
    return;
  if (op != 'I' && (tag == 'K' || tag == 'O')) {
    m.old_kind = tag;
    read_tuple(r, m.old_tuple);
    if (op == 'D' || !r.ok())
      return;
    tag = static_cast<char>(r.u8());
    if (!r.ok())
      return;
  } else if (op == 'D') {
    r.fail("expected 'K' or 'O', got " + kind_text(static_cast<unsigned char>(tag)));
    return;
  }
  if (tag != 'N') {
    r.fail("expected 'N', got " + kind_text(static_cast<unsigned char>(tag)));
    return;
  }
  read_tuple(r, m.new_tuple);
}

void decode_truncate(reader& r, truncate_msg& m) {
  auto n = r.i32();
  m.options = r.u8();
  if (!r.ok())
    return;
  if (n < 0 || static_cast<std::size_t>(n) != r.left() / 4) {
    r.fail("bad relation count " + std::to_string(n));
    return;
  }
  m.relation_oids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i)
    m.relation_oids.push_back(r.u32());
}

} // namespace

std::int64_t unix_ms(pg_time_us t) noexcept {
  auto ms = t / 1000;
  if (t % 1000 < 0)
    --ms; // floor: a time before 2000 rounds down like one after it
  return ms + pg_epoch_unix_s * 1000;
}

pg_time_us pg_time_from_unix_us(std::int64_t unix_us) noexcept {
  if (unix_us < std::numeric_limits<std::int64_t>::min() + pg_epoch_unix_us)
    return std::numeric_limits<std::int64_t>::min();
  return unix_us - pg_epoch_unix_us;
}

// -- CopyData -----------------------------------------------------------------------------------

bool decode_copy_data(std::string_view bytes, copy_message& out, std::string& error) {
  if (bytes.empty()) {
    error = "CopyData: empty message";
    return false;
  }
  auto kind = static_cast<unsigned char>(bytes[0]);
  if (kind == 'w') {
    reader r(bytes.substr(1), "XLogData");
    xlog_data m;
    m.wal_start = r.u64();
    m.wal_end = r.u64();
    m.send_time = r.i64();
    m.payload = r.rest(); // may be empty
    if (!done(r, error))
      return false;
    out = m;
    return true;
  }
  if (kind == 'k') {
    reader r(bytes.substr(1), "primary keepalive");
    keepalive m;
    m.wal_end = r.u64();
    m.send_time = r.i64();
    m.reply_requested = r.u8() != 0;
    if (!done(r, error))
      return false;
    out = m;
    return true;
  }
  error = "CopyData: unknown message kind " + kind_text(kind);
  return false;
}

std::string standby_status_update(lsn_t written, lsn_t flushed, lsn_t applied, pg_time_us now,
                                  bool reply_requested) {
  std::string out;
  out.reserve(34);
  out.push_back('r');
  auto put64 = [&out](std::uint64_t v) {
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  put64(written);
  put64(flushed);
  put64(applied);
  put64(static_cast<std::uint64_t>(now));
  out.push_back(reply_requested ? 1 : 0);
  return out;
}

// -- pgoutput -----------------------------------------------------------------------------------

bool decode_pgoutput(std::string_view bytes, pgoutput_msg& out, std::string& error) {
  if (bytes.empty()) {
    error = "pgoutput: empty message";
    return false;
  }
  auto kind = static_cast<char>(bytes[0]);
  auto body = bytes.substr(1);
  switch (kind) {
    case 'B': {
      reader r(body, "pgoutput Begin");
      begin_msg m;
      m.final_lsn = r.u64();
      m.commit_time = r.i64();
      m.xid = r.u32();
      if (!done(r, error))
        return false;
      out = m;
      return true;
    }
    case 'C': {
      reader r(body, "pgoutput Commit");
      commit_msg m;
      m.flags = r.u8();
      m.commit_lsn = r.u64();
      m.end_lsn = r.u64();
      m.commit_time = r.i64();
      if (!done(r, error))
        return false;
      out = m;
      return true;
    }
    case 'R': {
      reader r(body, "pgoutput Relation");
      relation_msg m;
      decode_relation(r, m);
      if (!done(r, error))
        return false;
      out = std::move(m);
      return true;
    }
    case 'I':
    case 'U':
    case 'D': {
      reader r(body, kind == 'I'   ? "pgoutput Insert"
                     : kind == 'U' ? "pgoutput Update"
                                   : "pgoutput Delete");
      change_msg m;
      decode_change(r, kind, m);
      if (!done(r, error))
        return false;
      out = std::move(m);
      return true;
    }
    case 'T': {
      reader r(body, "pgoutput Truncate");
      truncate_msg m;
      decode_truncate(r, m);
      if (!done(r, error))
        return false;
      out = std::move(m);
      return true;
    }
    // Read whole although unused, so a malformed one is still reported as malformed.
    case 'Y': {
      reader r(body, "pgoutput Type");
      r.u32();     // type oid
      r.cstring(); // namespace
      r.cstring(); // name
      if (!done(r, error))
        return false;
      out = ignored_msg{kind};
      return true;
    }
    case 'O': {
      reader r(body, "pgoutput Origin");
      r.u64();     // commit LSN on the origin
      r.cstring(); // origin name
      if (!done(r, error))
        return false;
      out = ignored_msg{kind};
      return true;
    }
    case 'M': { // protocol version 1: no xid field
      reader r(body, "pgoutput Message");
      r.u8();      // flags
      r.u64();     // LSN
      r.cstring(); // prefix
      auto len = r.i32();
      if (r.ok() && len < 0)
        r.fail("negative content length");
      r.bytes(static_cast<std::size_t>(len));
      if (!done(r, error))
        return false;
      out = ignored_msg{kind};
      return true;
    }
    default:
      // Also the streaming ('S', 'E', 'c', 'A') and two-phase messages of later protocol
      // versions: this client asks for version 1, so they never come from a correct server.
      error = "pgoutput: unknown message kind " + kind_text(static_cast<unsigned char>(kind));
      return false;
  }
}

} // namespace sy::pg
