// The `sources` setting (config/keys_sources.cpp): defaults filled in, mistakes refused with a
// message that names the problem, the dsn masked in what check-config prints.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "config/config.hpp"
#include "config/keys.hpp"

using namespace sy;

namespace {

std::string apply(config& c, const std::string& v) {
  return apply_setting(c, "sources", v);
}

} // namespace

TEST_CASE("sources config fills in the slot, the id and the defaults", "[unit][config][sources]") {
  config c;
  REQUIRE(apply(c, R"([{"workspace":"Acme-1","dsn":"host=db password=hunter2"}])").empty());
  REQUIRE(c.sources.size() == 1);
  const auto& s = c.sources.front();
  CHECK(s.kind == "postgres");
  CHECK(s.slot == "switchyard_acme_1");
  CHECK(s.id == "switchyard_acme_1");
  CHECK(s.publication == "switchyard");
  CHECK(s.create_publication);
  CHECK(s.create_slot);
  CHECK(s.tables.empty());
  CHECK(s.max_lag_bytes == (1ull << 30));
  CHECK(validate_config(c).empty());
}

TEST_CASE("sources config refuses what would never stream", "[unit][config][sources]") {
  config c;
  CHECK_THAT(apply(c, R"({"workspace":"a"})"), Catch::Contains("JSON array"));
  CHECK_THAT(apply(c, R"([{"dsn":"host=x"}])"), Catch::Contains("workspace"));
  CHECK_THAT(apply(c, R"([{"workspace":"a"}])"), Catch::Contains("dsn is required"));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x","kind":"mongo"}])"),
             Catch::Contains("kind"));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x","slot":"Bad-Slot"}])"),
             Catch::Contains("slot"));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x","tables":"products"}])"),
             Catch::Contains("tables"));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x","colour":"red"}])"),
             Catch::Contains("unknown key \"colour\""));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x"},{"workspace":"a","dsn":"x"}])"),
             Catch::Contains("two sources"));
  CHECK_THAT(apply(c, R"([{"workspace":"a","dsn":"x","retry_max_ms":10}])"),
             Catch::Contains("retry_max_ms"));
  CHECK(c.sources.empty()); // nothing half-applied
}

TEST_CASE("sources config masks the dsn when printed", "[unit][config][sources]") {
  config c;
  REQUIRE(apply(c, R"([{"workspace":"a","dsn":"host=db password=hunter2","tables":["t"]}])")
            .empty());
  auto text = describe_config(c);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("\"tables\":[\"t\"]") != std::string::npos);
}
