#pragma once
// What every fuzz target shares: an invariant check that stops the run (libFuzzer then saves
// the input as crash-*), and small helpers to carve one input into parts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// A broken invariant is a finding like a crash: print which one, then abort so libFuzzer keeps
/// the input. Active in every build type (assert() would vanish under NDEBUG).
#define FUZZ_CHECK(cond)                                                                         \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);          \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

namespace sy::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits `in` at the first `sep`: `head` before it, the rest after it (empty without `sep`).
inline std::string_view split_first(std::string_view& in, char sep) {
  auto at = in.find(sep);
  auto head = in.substr(0, at);
  in = at == std::string_view::npos ? std::string_view{} : in.substr(at + 1);
  return head;
}

} // namespace sy::fuzz
