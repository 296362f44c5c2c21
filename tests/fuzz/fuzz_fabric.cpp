// The Fabric dialect's decode (schema/dialects/fabric/codec.cpp) on arbitrary client frames,
// and the frames the codec answers them with (dialect_checks.hpp).
#include "dialect_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& codec = sy::codec_for(sy::dialect::fabric);
  auto text = sy::fuzz::as_text(data, size);
  auto c = sy::fuzz::check_decode(codec, "topic", text);
  sy::fuzz::check_respelled(codec, text, c);
  return 0;
}
