#include <catch2/catch.hpp>

#include "schema/dialects/fabric/fabric.hpp"
#include "schema/scope_filter.hpp"

using namespace sy;

namespace {

scope_filter scopes_of(const char* json_scopes) {
  auto c = fabric::decode(std::string(R"({"op":"subscribe","topics":["t"],"scopes":)")
                          + json_scopes + "}");
  REQUIRE(c.kind == op::subscribe);
  return c.filter ? c.filter->scopes : scope_filter{};
}

} // namespace

TEST_CASE("scope matching table", "[filter]") {
  metadata_index md = {{"payloadId", "123"}, {"kind", "upload"}, {"flag", "true"}};
  struct row {
    const char* scopes;
    bool expected;
  };
  row rows[] = {
    {R"({})", true},
    {R"({"payloadId":"123"})", true},
    {R"({"payloadId":123})", true}, // numbers compare by their text
    {R"({"payloadId":"124"})", false},
    {R"({"payloadId":"123","kind":"upload"})", true},
    {R"({"payloadId":"123","kind":"delete"})", false},
    {R"({"missing":"x"})", false},
    {R"({"flag":true})", true},
  };
  for (const auto& r : rows) {
    INFO(r.scopes);
    CHECK(scopes_of(r.scopes).matches(md) == r.expected);
  }
}

TEST_CASE("equal filters share a key regardless of order", "[filter]") {
  CHECK(scopes_of(R"({"a":"1","b":"2"})").key() == scopes_of(R"({"b":"2","a":"1"})").key());
  CHECK(scopes_of(R"({"a":"1"})").key() != scopes_of(R"({"a":"2"})").key());
  // length-prefixing keeps crafted keys from colliding
  CHECK(scopes_of(R"({"a":"1b1:2"})").key() != scopes_of(R"({"a":"1","b":"2"})").key());
}
