// The SnackBase dialect's decode (schema/dialects/snackbase/codec.cpp) on arbitrary client
// frames, and the frames the codec answers them with (dialect_checks.hpp).
#include "dialect_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& codec = sy::codec_for(sy::dialect::snackbase);
  auto text = sy::fuzz::as_text(data, size);
  auto c = sy::fuzz::check_decode(codec, "collection", text);
  sy::fuzz::check_respelled(codec, text, c);
  return 0;
}
