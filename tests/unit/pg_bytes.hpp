#pragma once
// Builds PostgreSQL replication messages byte by byte, as the protocol documentation lays
// them out (big-endian integers, NUL-terminated strings), for the pgoutput decoding tests.
#include <cstdint>
#include <string>
#include <string_view>

namespace sy::test {

struct pg_bytes {
  std::string s;

  pg_bytes& byte(char c) {
    s.push_back(c);
    return *this;
  }
  pg_bytes& be(std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  pg_bytes& i8(std::uint8_t v) { return be(v, 1); }
  pg_bytes& i16(std::int16_t v) { return be(static_cast<std::uint16_t>(v), 2); }
  pg_bytes& i32(std::int32_t v) { return be(static_cast<std::uint32_t>(v), 4); }
  pg_bytes& i64(std::int64_t v) { return be(static_cast<std::uint64_t>(v), 8); }
  pg_bytes& str(std::string_view v) {
    s.append(v);
    s.push_back('\0');
    return *this;
  }
  pg_bytes& raw(std::string_view v) {
    s.append(v);
    return *this;
  }
  // TupleData parts
  pg_bytes& text(std::string_view v) {
    byte('t').i32(static_cast<std::int32_t>(v.size()));
    return raw(v);
  }
  pg_bytes& null() { return byte('n'); }
  pg_bytes& unchanged() { return byte('u'); }
};

} // namespace sy::test
