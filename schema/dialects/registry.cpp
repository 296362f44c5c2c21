// The registered dialects. Adding one: its folder, its id in id.hpp and one line here
// (schema/dialects/README.md).
#include "schema/dialects/registry.hpp"

#include "schema/dialects/fabric/fabric.hpp"
#include "schema/dialects/gateway/gateway.hpp"
#include "schema/dialects/snackbase/snackbase.hpp"
#include "schema/dialects/sse/sse.hpp"

namespace sy {

namespace {

// Addresses only: constant-initialized, so usable from any static initializer. Each entry sits
// at its id's index (checked by the unit test "every dialect sits at its id in the registry").
const dialect_table table = {
  &fabric::descriptor,
  &gateway::descriptor,
  &snackbase::descriptor,
  &sse::descriptor,
};

} // namespace

const dialect_table& dialects() {
  return table;
}

const dialect_descriptor& dialect_for(dialect d) {
  return *table[static_cast<std::size_t>(d)];
}

const dialect_codec& codec_for(dialect d) {
  return *dialect_for(d).codec;
}

const char* dialect_name(dialect d) {
  return dialect_for(d).name;
}

} // namespace sy
