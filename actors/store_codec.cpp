#include "actors/store_codec.hpp"

namespace sy::store_codec {

namespace {

constexpr char value_version = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_signed(std::string& out, std::int64_t v) {
  // zigzag: small negative numbers stay short too
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void put_bytes(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

/// Reads what the put_* functions wrote; any overrun or malformed varint makes ok() false and
/// every later read a no-op.
class reader {
public:
  explicit reader(std::string_view in) : in_(in) {
  }
  bool ok() const {
    return ok_;
  }
  bool done() const {
    return ok_ && in_.empty();
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; ok_ && shift < 64; shift += 7) {
      if (in_.empty())
        break;
      auto b = static_cast<unsigned char>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0)
        return v;
    }
    ok_ = false;
    return 0;
  }
  std::int64_t signed_varint() {
    auto z = varint();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  std::string bytes() {
    auto n = varint();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool version() {
    if (in_.empty() || in_.front() != value_version)
      return ok_ = false;
    in_.remove_prefix(1);
    return true;
  }

private:
  std::string_view in_;
  bool ok_ = true;
};

std::string tagged(char tag, std::string_view channel, std::size_t extra) {
  std::string k;
  k.reserve(2 + channel.size() + extra);
  k.push_back(tag);
  k.append(channel);
  return k;
}

} // namespace

std::string event_prefix(std::string_view channel) {
  auto k = tagged(event_tag, channel, 8);
  k.push_back('\0');
  return k;
}

std::string event_key(std::string_view channel, std::uint64_t seq) {
  auto k = event_prefix(channel);
  // big-endian: byte order = numeric order, so RocksDB's iteration returns events by seq
  for (int shift = 56; shift >= 0; shift -= 8)
    k.push_back(static_cast<char>((seq >> shift) & 0xff));
  return k;
}

std::string meta_key(std::string_view channel) {
  return tagged(meta_tag, channel, 0);
}

std::string receipt_prefix(std::string_view channel) {
  auto k = tagged(receipt_tag, channel, 0);
  k.push_back('\0');
  return k;
}

std::string receipt_key(std::string_view channel, std::string_view key) {
  return receipt_prefix(channel).append(key);
}

std::string room_key(std::string_view room) {
  return tagged(room_tag, room, 0);
}

std::string prefix_end(std::string prefix) {
  // drop trailing 0xff bytes, then increment the last one; every prefix here ends in '\0' or
  // a channel character, so this never empties it
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff)
    prefix.pop_back();
  if (!prefix.empty())
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

bool seq_of_event_key(std::string_view key, std::size_t prefix_size, std::uint64_t& seq) {
  if (key.size() != prefix_size + 8)
    return false;
  seq = 0;
  for (std::size_t i = prefix_size; i < key.size(); ++i)
    seq = (seq << 8) | static_cast<unsigned char>(key[i]);
  return true;
}

void append_event_value(std::string& out, const event& e) {
  out.push_back(value_version);
  put_varint(out, e.epoch);
  put_varint(out, e.seq);
  put_signed(out, e.timestamp_ms);
  put_bytes(out, e.type);
  put_bytes(out, e.data_json);
  put_bytes(out, e.metadata_json);
  put_varint(out, e.metadata.size());
  for (const auto& [k, v] : e.metadata) {
    put_bytes(out, k);
    put_bytes(out, v);
  }
  put_bytes(out, e.idempotency_key);
  put_bytes(out, e.correlation_id);
}

bool parse_event_value(std::string_view in, std::string_view channel, event& out) {
  reader r(in);
  if (!r.version())
    return false;
  out.channel = std::string(channel);
  out.epoch = r.varint();
  out.seq = r.varint();
  out.timestamp_ms = r.signed_varint();
  out.type = r.bytes();
  out.data_json = r.bytes();
  out.metadata_json = r.bytes();
  auto n = r.varint();
  out.metadata.clear();
  // each pair takes at least two bytes: a count beyond that is corruption, not a reason to
  // reserve gigabytes
  if (!r.ok() || n > in.size() / 2)
    return false;
  out.metadata.reserve(n);
  for (std::uint64_t i = 0; i < n && r.ok(); ++i) {
    auto k = r.bytes();
    auto v = r.bytes();
    out.metadata.emplace_back(std::move(k), std::move(v));
  }
  out.idempotency_key = r.bytes();
  out.correlation_id = r.bytes();
  return r.done();
}

std::string meta_value(const store_channel_meta& m) {
  std::string out(1, value_version);
  put_varint(out, m.epoch);
  put_varint(out, m.next_seq);
  return out;
}

bool parse_meta_value(std::string_view in, store_channel_meta& out) {
  reader r(in);
  if (!r.version())
    return false;
  out.epoch = r.varint();
  out.next_seq = r.varint();
  return r.done();
}

std::string receipt_value(const store_receipt& x) {
  std::string out(1, value_version);
  put_signed(out, x.expires_ms); // first: the compaction filter reads only this
  put_varint(out, x.seq);
  put_signed(out, x.timestamp_ms);
  put_bytes(out, x.type);
  put_bytes(out, x.correlation_id);
  return out;
}

bool parse_receipt_value(std::string_view in, std::string_view key, store_receipt& out) {
  reader r(in);
  if (!r.version())
    return false;
  out.key = std::string(key);
  out.expires_ms = r.signed_varint();
  out.seq = r.varint();
  out.timestamp_ms = r.signed_varint();
  out.type = r.bytes();
  out.correlation_id = r.bytes();
  return r.done();
}

std::string room_value(const store_room& x) {
  std::string out(1, value_version);
  put_varint(out, x.version);
  put_bytes(out, x.state_json);
  put_bytes(out, x.metadata_json);
  put_varint(out, x.id_floor);
  return out;
}

bool parse_room_value(std::string_view in, store_room& out) {
  reader r(in);
  if (!r.version())
    return false;
  out.version = r.varint();
  out.state_json = r.bytes();
  out.metadata_json = r.bytes();
  out.found = true;
  // Records written before member ids were reserved end here (their floor is 0).
  if (r.ok() && !r.done())
    out.id_floor = r.varint();
  return r.done();
}

bool receipt_expiry(std::string_view in, std::int64_t& expires_ms) {
  reader r(in);
  if (!r.version())
    return false;
  expires_ms = r.signed_varint();
  return r.ok();
}

} // namespace sy::store_codec
