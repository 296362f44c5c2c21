#pragma once
// Value semantics shared by the filter compiler (schema/filter_compile.cpp) and the evaluator
// (schema/filter_eval.cpp). The comparisons are inline because the evaluator runs them for every
// event of a channel on the fan-out path: they stay inlinable there, as when both lived in one
// translation unit.
#include <cmath>
#include <cstdint>
#include <string>

#include <boost/json/value.hpp>

namespace sy::filter_detail {

namespace json = boost::json;

// -- numbers ----------------------------------------------------------------------------------
// Boost.JSON keeps integers as int64 (or uint64 when too large for int64) and everything else
// as double, so 100 and 100.0 arrive as different kinds. Comparisons are exact across kinds:
// converting an int64 to double would make 2^53+1 equal 2^53.

inline bool is_number(const json::value& v) noexcept {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

template <class T>
inline int three_way(T a, T b) noexcept {
  return a < b ? -1 : (b < a ? 1 : 0);
}

inline int compare_int_double(std::int64_t i, double d) noexcept {
  if (d < -9223372036854775808.0) // below -2^63: every int64 is greater
    return 1;
  if (d >= 9223372036854775808.0) // 2^63 and above
    return -1;
  double t = std::trunc(d); // exact, and in int64 range after the checks above
  auto ti = static_cast<std::int64_t>(t);
  if (i != ti)
    return three_way(i, ti);
  return three_way(0.0, d - t); // d - t is exact: the fractional part decides
}

inline int compare_uint_double(std::uint64_t u, double d) noexcept {
  if (d < 0)
    return 1;
  if (d >= 18446744073709551616.0) // 2^64
    return -1;
  double t = std::trunc(d);
  auto tu = static_cast<std::uint64_t>(t);
  if (u != tu)
    return three_way(u, tu);
  return three_way(0.0, d - t);
}

inline int compare_int_uint(std::int64_t i, std::uint64_t u) noexcept {
  if (i < 0)
    return -1;
  return three_way(static_cast<std::uint64_t>(i), u);
}

/// Both must be numbers. JSON has no NaN, so the order is total.
inline int compare_numbers(const json::value& a, const json::value& b) noexcept {
  switch (a.kind()) {
    case json::kind::int64: {
      auto x = a.get_int64();
      if (b.is_int64()) return three_way(x, b.get_int64());
      if (b.is_uint64()) return compare_int_uint(x, b.get_uint64());
      return compare_int_double(x, b.get_double());
    }
    case json::kind::uint64: {
      auto x = a.get_uint64();
      if (b.is_int64()) return -compare_int_uint(b.get_int64(), x);
      if (b.is_uint64()) return three_way(x, b.get_uint64());
      return compare_uint_double(x, b.get_double());
    }
    default: {
      auto x = a.get_double();
      if (b.is_int64()) return -compare_int_double(b.get_int64(), x);
      if (b.is_uint64()) return -compare_uint_double(b.get_uint64(), x);
      return three_way(x, b.get_double());
    }
  }
}

// -- structural equality ----------------------------------------------------------------------

/// JSON equality with numbers compared by value (1 == 1.0) and objects regardless of key
/// order. Unlike json::value::operator==, which distinguishes int64 1 from double 1.0.
inline bool json_equal(const json::value& a, const json::value& b) noexcept {
  if (is_number(a))
    return is_number(b) && compare_numbers(a, b) == 0;
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
    case json::kind::null: return true;
    case json::kind::bool_: return a.get_bool() == b.get_bool();
    case json::kind::string: return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size())
        return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!json_equal(x[i], y[i]))
          return false;
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size())
        return false;
      for (const auto& kv : x) {
        auto it = y.find(kv.key());
        if (it == y.end() || !json_equal(kv.value(), it->value()))
          return false;
      }
      return true;
    }
    default: return false; // numbers handled above
  }
}

inline char ascii_upper(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// A text equal for json_equal-equal values and different otherwise (compile time only).
std::string canonical(const json::value& v);

} // namespace sy::filter_detail
