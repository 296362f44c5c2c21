// JSON Merge Patch (schema/room_merge_patch.hpp) against every example of RFC 7386 Appendix A.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "schema/room_merge_patch.hpp"

namespace json = boost::json;

TEST_CASE("merge patch gives the results of RFC 7386 appendix A", "[unit][room]") {
  struct row {
    const char* target;
    const char* patch;
    const char* result;
  };
  const row rows[] = {
    {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
    {R"({"a":"b"})", R"({"a":null})", R"({})"},
    {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
    {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
    {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
    {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
    {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
    {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
    {R"({"a":"foo"})", "null", "null"},
    {R"({"a":"foo"})", R"("bar")", R"("bar")"},
    {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
    {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
    {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& r : rows) {
    INFO("target " << r.target << " patch " << r.patch);
    auto target = json::parse(r.target);
    sy::merge_patch(target, json::parse(r.patch));
    CHECK(json::serialize(target) == r.result);
  }
}

TEST_CASE("a merge patch made from two states turns the first into the second", "[unit][room]") {
  struct row {
    const char* from;
    const char* to;
    const char* patch;
  };
  const row rows[] = {
    {R"({})", R"({})", R"({})"},
    {R"({"a":1,"b":2})", R"({"a":1})", R"({"b":null})"},
    {R"({"a":{"x":1,"y":2}})", R"({"a":{"y":3}})", R"({"a":{"x":null,"y":3}})"},
    {R"({"a":[1,2]})", R"({"a":[1]})", R"({"a":[1]})"},
    {R"({"a":{"x":1}})", R"({"a":5,"c":{"d":[true]}})", R"({"a":5,"c":{"d":[true]}})"},
  };
  for (const auto& r : rows) {
    INFO("from " << r.from << " to " << r.to);
    auto from = json::parse(r.from);
    auto patch = sy::make_merge_patch(from, json::parse(r.to));
    CHECK(json::serialize(patch) == r.patch);
    sy::merge_patch(from, patch);
    CHECK(from == json::parse(r.to));
  }
}
