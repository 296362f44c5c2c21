#include <catch2/catch.hpp>

#include <string>

#include <boost/json/parse.hpp>

#include "schema/filter.hpp"

using namespace sy;
namespace json = boost::json;

namespace {

filter_result compile_text(const std::string& spec) {
  json::error_code ec;
  auto v = json::parse(spec, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return compile_filter(v.get_object());
}

event_filter compile(const std::string& spec) {
  INFO(spec);
  auto r = compile_text(spec);
  if (auto* e = std::get_if<filter_error>(&r))
    FAIL("unexpected compile error: " << e->message);
  return std::get<event_filter>(std::move(r));
}

std::string compile_error(const std::string& spec) {
  INFO(spec);
  auto r = compile_text(spec);
  REQUIRE(std::holds_alternative<filter_error>(r));
  return std::get<filter_error>(r).message;
}

struct row {
  const char* spec;
  const char* data; // nullptr: data not available
  bool expected;
};

template <std::size_t N>
void check_rows(const row (&rows)[N], const metadata_index& md = {}) {
  for (const row* r = rows; r != rows + N; ++r) {
    INFO("spec: " << r->spec);
    INFO("data: " << (r->data ? r->data : "<none>"));
    auto f = compile(r->spec);
    if (r->data) {
      auto data = json::parse(r->data);
      CHECK(matches(f, md, &data) == r->expected);
    } else {
      CHECK(matches(f, md, nullptr) == r->expected);
    }
  }
}

} // namespace

TEST_CASE("filter: $eq, implicit and explicit, dotted paths", "[filter]") {
  const char* d = R"({"category":"electronics","price":150,"tags":["a","b"],
                      "dims":{"w":2,"h":3.5,"unit":{"name":"cm"}},"flag":true,"none":null})";
  row rows[] = {
    {R"({"predicates":{"category":"electronics"}})", d, true},
    {R"({"predicates":{"category":"books"}})", d, false},
    {R"({"predicates":{"category":{"$eq":"electronics"}}})", d, true},
    {R"({"predicates":{"price":150}})", d, true},
    {R"({"predicates":{"price":150.0}})", d, true}, // int vs double: by value
    {R"({"predicates":{"price":1.5e2}})", d, true},
    {R"({"predicates":{"price":"150"}})", d, false}, // string vs number: mismatch
    {R"({"predicates":{"flag":true}})", d, true},
    {R"({"predicates":{"flag":1}})", d, false},
    {R"({"predicates":{"none":null}})", d, true},
    {R"({"predicates":{"missing":null}})", d, false}, // missing is not null
    {R"({"predicates":{"dims.w":2}})", d, true},
    {R"({"predicates":{"dims.h":3.5}})", d, true},
    {R"({"predicates":{"dims.unit.name":"cm"}})", d, true},
    {R"({"predicates":{"dims.unit.name":"mm"}})", d, false},
    {R"({"predicates":{"dims.w.x":2}})", d, false},     // through a scalar: missing
    {R"({"predicates":{"tags.0":"a"}})", d, false},     // arrays are not indexed
    {R"({"predicates":{"tags":["a","b"]}})", d, true},  // arrays: structural
    {R"({"predicates":{"tags":["b","a"]}})", d, false}, // order matters
    {R"({"predicates":{"tags":"a"}})", d, false},       // no implicit membership
    // objects: structural, key order irrelevant, numbers by value
    {R"({"predicates":{"dims":{"unit":{"name":"cm"},"h":3.5,"w":2.0}}})", d, true},
    {R"({"predicates":{"dims":{"$eq":{"w":2,"h":3.5,"unit":{"name":"cm"}}}}})", d, true},
    {R"({"predicates":{"dims":{"w":2,"h":3.5}}})", d, false}, // not a subset match
    {R"({"predicates":{"dims.unit":{"$eq":{}}}})", d, false},
    {R"({"predicates":{"dims.unit":{"name":"cm"}}})", d, true},
  };
  check_rows(rows);
}

TEST_CASE("filter: $ne and $nin are true for missing paths and mismatched types", "[filter]") {
  const char* d = R"({"status":"open","n":3,"o":{"k":1}})";
  row rows[] = {
    {R"({"predicates":{"status":{"$ne":"closed"}}})", d, true},
    {R"({"predicates":{"status":{"$ne":"open"}}})", d, false},
    {R"({"predicates":{"n":{"$ne":3.0}}})", d, false},
    {R"({"predicates":{"n":{"$ne":"3"}}})", d, true},
    {R"({"predicates":{"missing":{"$ne":"x"}}})", d, true},
    {R"({"predicates":{"o":{"$ne":{"k":1.0}}}})", d, false},
    {R"({"predicates":{"status":{"$in":["open","pending"]}}})", d, true},
    {R"({"predicates":{"status":{"$in":["closed"]}}})", d, false},
    {R"({"predicates":{"status":{"$in":[]}}})", d, false},
    {R"({"predicates":{"n":{"$in":[1,2,3.0]}}})", d, true},
    {R"({"predicates":{"n":{"$in":["3"]}}})", d, false},
    {R"({"predicates":{"o":{"$in":[{"k":1}]}}})", d, true},
    {R"({"predicates":{"missing":{"$in":[null]}}})", d, false},
    {R"({"predicates":{"status":{"$nin":["closed","archived"]}}})", d, true},
    {R"({"predicates":{"status":{"$nin":["open"]}}})", d, false},
    {R"({"predicates":{"n":{"$nin":[3]}}})", d, false},
    {R"({"predicates":{"n":{"$nin":["3"]}}})", d, true},
    {R"({"predicates":{"missing":{"$nin":["x"]}}})", d, true},
    {R"({"predicates":{"status":{"$nin":[]}}})", d, true},
  };
  check_rows(rows);
}

TEST_CASE("filter: ordered comparisons on numbers and strings", "[filter]") {
  const char* d = R"({"price":100,"ratio":0.5,"big":18446744073709551615,"neg":-5,
                      "name":"banana","nested":{"v":10}})";
  row rows[] = {
    {R"({"predicates":{"price":{"$gte":100}}})", d, true},
    {R"({"predicates":{"price":{"$gte":100.0}}})", d, true},
    {R"({"predicates":{"price":{"$gt":100}}})", d, false},
    {R"({"predicates":{"price":{"$gt":99.99}}})", d, true},
    {R"({"predicates":{"price":{"$lt":100.01}}})", d, true},
    {R"({"predicates":{"price":{"$lte":100}}})", d, true},
    {R"({"predicates":{"price":{"$lt":100}}})", d, false},
    {R"({"predicates":{"ratio":{"$gt":0}}})", d, true},
    {R"({"predicates":{"ratio":{"$lt":1}}})", d, true},
    {R"({"predicates":{"ratio":{"$gte":0.5}}})", d, true},
    {R"({"predicates":{"neg":{"$lt":0}}})", d, true},
    {R"({"predicates":{"neg":{"$lt":18446744073709551615}}})", d, true}, // int64 vs uint64
    {R"({"predicates":{"big":{"$gt":9223372036854775807}}})", d, true},
    {R"({"predicates":{"big":{"$gt":-1}}})", d, true},
    {R"({"predicates":{"big":{"$lt":1e30}}})", d, true},
    {R"({"predicates":{"name":{"$gt":"apple"}}})", d, true},
    {R"({"predicates":{"name":{"$lt":"apple"}}})", d, false},
    {R"({"predicates":{"name":{"$gte":"banana"}}})", d, true},
    {R"({"predicates":{"name":{"$lt":"bananas"}}})", d, true},
    {R"({"predicates":{"name":{"$gt":5}}})", d, false},      // type mismatch
    {R"({"predicates":{"price":{"$gt":"5"}}})", d, false},   // type mismatch
    {R"({"predicates":{"nested":{"$gt":5}}})", d, false},    // object: mismatch
    {R"({"predicates":{"missing":{"$lt":5}}})", d, false},
    {R"({"predicates":{"nested.v":{"$gt":9,"$lt":11}}})", d, true}, // ops on one key AND-ed
    {R"({"predicates":{"nested.v":{"$gt":10,"$lt":11}}})", d, false},
    {R"({"predicates":{"price":{"$gte":50,"$lte":150,"$ne":75}}})", d, true},
  };
  check_rows(rows);
}

TEST_CASE("filter: exact number comparison across representations", "[filter]") {
  // 2^53 + 1 is not representable as a double; a naive conversion would call these equal.
  const char* d = R"({"n":9007199254740993})";
  row rows[] = {
    {R"({"predicates":{"n":9007199254740992.0}})", d, false},
    {R"({"predicates":{"n":{"$gt":9007199254740992.0}}})", d, true},
    {R"({"predicates":{"n":9007199254740993}})", d, true},
  };
  check_rows(rows);
}

TEST_CASE("filter: $exists", "[filter]") {
  const char* d = R"({"a":{"b":null},"c":0})";
  row rows[] = {
    {R"({"predicates":{"a.b":{"$exists":true}}})", d, true}, // present even when null
    {R"({"predicates":{"a.b":{"$exists":false}}})", d, false},
    {R"({"predicates":{"a.x":{"$exists":true}}})", d, false},
    {R"({"predicates":{"a.x":{"$exists":false}}})", d, true},
    {R"({"predicates":{"c.x":{"$exists":false}}})", d, true},
    {R"({"predicates":{"c":{"$exists":true,"$gte":0}}})", d, true},
  };
  check_rows(rows);
}

TEST_CASE("filter: several keys are AND-ed (gateway example)", "[filter]") {
  const char* spec = R"({"predicates":{"category":"electronics","price":{"$gte":100}}})";
  row rows[] = {
    {spec, R"({"category":"electronics","price":100})", true},
    {spec, R"({"category":"electronics","price":99.5})", false},
    {spec, R"({"category":"books","price":500})", false},
    {spec, R"({"price":500})", false},
    {spec, R"({"operation":"INSERT","table":"products",
               "record":{"category":"electronics","price":129.99}})", true},
  };
  check_rows(rows);
}

TEST_CASE("filter: subject is record, else document, else data", "[filter]") {
  const char* spec = R"({"predicates":{"price":{"$gte":100}}})";
  row rows[] = {
    {spec, R"({"table":"products","record":{"price":150},"oldRecord":{"price":50}})", true},
    {spec, R"({"table":"products","record":{"price":50},"price":150})", false},
    {spec, R"({"collection":"orders","document":{"price":150}})", true},
    {spec, R"({"record":{"price":150},"document":{"price":1}})", true}, // record first
    {spec, R"({"record":{},"document":{"price":150}})", false},
    {spec, R"({"record":null,"price":150})", true},      // record not an object: data
    {spec, R"({"document":"x","price":150})", true},     // document not an object: data
    {spec, R"({"price":150})", true},
    {spec, R"([{"price":150}])", false},                 // arrays are never walked
    {spec, R"(150)", false},
    {R"({"predicates":{"record.price":150}})", R"({"record":{"price":150}})", false},
    {R"({"predicates":{"x":{"$exists":false}}})", R"("text")", true},
  };
  check_rows(rows);
}

TEST_CASE("filter: operations, case-insensitive", "[filter]") {
  const char* spec = R"({"operations":["INSERT","update"]})";
  row rows[] = {
    {spec, R"({"operation":"INSERT"})", true},
    {spec, R"({"operation":"insert"})", true},
    {spec, R"({"operation":"Update"})", true},
    {spec, R"({"operation":"DELETE"})", false},
    {spec, R"({"operation":"INSERTED"})", false},
    {spec, R"({"operationType":"insert"})", false}, // no "operation": no match
    {spec, R"({"operation":1})", false},
    {spec, R"({"record":{"operation":"INSERT"}})", false}, // top level of data, not subject
    {spec, R"("INSERT")", false},
    {spec, nullptr, false},
    {R"({"operations":[]})", R"({"operation":"DELETE"})", true}, // empty = any
    {R"({"operations":[]})", R"({})", true},
  };
  check_rows(rows);
}

TEST_CASE("filter: entity via table, collection or entity", "[filter]") {
  const char* spec = R"({"entity":"products"})";
  row rows[] = {
    {spec, R"({"table":"products"})", true},
    {spec, R"({"collection":"products"})", true},
    {spec, R"({"entity":"products"})", true},
    {spec, R"({"table":"Products"})", false},               // exact
    {spec, R"({"table":"orders","collection":"products"})", false}, // table wins
    {spec, R"({"table":7,"collection":"products"})", true},  // non-string table: skipped
    {spec, R"({"name":"products"})", false},
    {spec, nullptr, false},
    {R"({"entity":""})", R"({"table":"x"})", true}, // empty = any
    {R"({"entity":"products","operations":["DELETE"]})",
     R"({"operation":"delete","table":"products"})", true},
    {R"({"entity":"products","operations":["DELETE"]})",
     R"({"operation":"insert","table":"products"})", false},
    {R"({"entity":"orders","predicates":{"total":{"$gt":100}}})",
     R"({"operation":"INSERT","collection":"orders","document":{"total":198.95}})", true},
  };
  check_rows(rows);
}

TEST_CASE("filter: scopes combine with data conditions", "[filter]") {
  metadata_index md = {{"tenant", "t1"}, {"payloadId", "123"}};
  row rows[] = {
    {R"({})", R"({})", true},
    {R"({})", nullptr, true},
    {R"({"scopes":{"tenant":"t1"}})", nullptr, true}, // no data needed
    {R"({"scopes":{"payloadId":123}})", nullptr, true}, // scope_filter semantics kept
    {R"({"scopes":{"tenant":"t2"}})", R"({})", false},
    {R"({"scopes":{"tenant":"t1"},"predicates":{"a":1}})", R"({"a":1})", true},
    {R"({"scopes":{"tenant":"t2"},"predicates":{"a":1}})", R"({"a":1})", false},
    {R"({"scopes":{"tenant":"t1"},"predicates":{"a":1}})", R"({"a":2})", false},
    // data not available: every data-dependent condition is false, even $exists:false
    {R"({"scopes":{"tenant":"t1"},"predicates":{"a":1}})", nullptr, false},
    {R"({"predicates":{"a":{"$exists":false}}})", nullptr, false},
    {R"({"predicates":{"a":{"$ne":1}}})", nullptr, false},
    {R"({"scopes":null,"operations":null,"entity":null,"predicates":null})", nullptr, true},
  };
  check_rows(rows, md);
}

TEST_CASE("filter: needs_data", "[filter]") {
  CHECK_FALSE(needs_data(compile(R"({})")));
  CHECK_FALSE(needs_data(compile(R"({"scopes":{"a":"b"}})")));
  CHECK_FALSE(needs_data(compile(R"({"operations":[],"entity":""})")));
  CHECK(needs_data(compile(R"({"operations":["INSERT"]})")));
  CHECK(needs_data(compile(R"({"entity":"products"})")));
  CHECK(needs_data(compile(R"({"predicates":{"a":1}})")));
}

TEST_CASE("filter: compile errors name the key or operator", "[filter]") {
  struct err_row {
    const char* spec;
    const char* needle;
  };
  err_row rows[] = {
    {R"({"predicate":{"a":1}})", "unknown filter key \"predicate\""},
    {R"({"scopes":[1]})", "\"scopes\" must be an object"},
    {R"({"operations":"INSERT"})", "\"operations\" must be an array"},
    {R"({"operations":["INSERT",3]})", "\"operations\"[1]"},
    {R"({"operations":[""]})", "\"operations\"[0]"},
    {R"({"entity":5})", "\"entity\" must be a string"},
    {R"({"predicates":[]})", "\"predicates\" must be an object"},
    {R"({"predicates":{"":1}})", "empty path"},
    {R"({"predicates":{"a..b":1}})", "predicate \"a..b\": empty path segment"},
    {R"({"predicates":{".a":1}})", "predicate \".a\": empty path segment"},
    {R"({"predicates":{"a.":1}})", "predicate \"a.\": empty path segment"},
    {R"({"predicates":{"a.b.c.d.e.f.g.h.i":1}})", "deeper than 8 segments"},
    {R"({"predicates":{"name":{"$regex":"x"}}})", "predicate \"name\": unknown operator \"$regex\""},
    {R"({"predicates":{"a":{"$eq":1,"b":2}}})", "predicate \"a\": mixes operators and field names"},
    {R"({"predicates":{"a":{}}})", "predicate \"a\": empty operator object"},
    {R"({"predicates":{"a":{"$in":"x"}}})", "predicate \"a\": $in needs an array"},
    {R"({"predicates":{"a":{"$nin":{"x":1}}}})", "predicate \"a\": $nin needs an array"},
    {R"({"predicates":{"a":{"$exists":1}}})", "predicate \"a\": $exists needs true or false"},
    {R"({"predicates":{"a":{"$gt":true}}})", "predicate \"a\": $gt needs a number or a string"},
    {R"({"predicates":{"a":{"$gte":null}}})", "predicate \"a\": $gte needs a number or a string"},
    {R"({"predicates":{"a":{"$lt":[1]}}})", "predicate \"a\": $lt needs a number or a string"},
    {R"({"predicates":{"a":{"$lte":{"x":1}}}})", "predicate \"a\": $lte needs a number or a string"},
    {R"({"predicates":{"a":{"$eq":[[[[[[[[[1]]]]]]]]]}}})", "predicate \"a\": $eq operand nested deeper than 8"},
    // Found by tests/fuzz/fuzz_filter: 0e400 reads as NaN, which made the number comparison
    // cast NaN to int64 (undefined); 1e400 reads as infinity.
    {R"({"predicates":{"a":{"$gt":0e400}}})", "predicate \"a\": $gt operand has a number outside"},
    {R"({"predicates":{"a":{"$in":[1,-1e400]}}})", "predicate \"a\": $in operand has a number outside"},
    {R"({"predicates":{"a":{"b":1e999}}})", "predicate \"a\": $eq operand has a number outside"},
  };
  for (const auto& r : rows) {
    INFO(r.spec);
    CHECK_THAT(compile_error(r.spec), Catch::Contains(r.needle));
  }
}

TEST_CASE("filter: limits", "[filter]") {
  // exactly at the limits compiles
  compile(R"({"predicates":{"a.b.c.d.e.f.g.h":1}})");
  compile(R"({"predicates":{"a":{"$eq":[[[[[[[[1]]]]]]]]}}})");

  auto many = [](int n) {
    std::string s = R"({"predicates":{)";
    for (int i = 0; i < n; ++i)
      s += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
    return s + "}}";
  };
  CHECK(compile(many(64)).predicates.size() == 64);
  CHECK_THAT(compile_error(many(65)), Catch::Contains("more than 64 predicates"));
  // operators on one key count one each
  std::string ops = R"({"predicates":{"a":{"$gt":1,"$lt":9},)";
  for (int i = 0; i < 63; ++i)
    ops += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":1";
  CHECK_THAT(compile_error(ops + "}}"), Catch::Contains("more than 64 predicates"));

  std::string in = R"({"predicates":{"a":{"$in":[)";
  for (int i = 0; i < 257; ++i)
    in += (i ? "," : "") + std::to_string(i);
  CHECK_THAT(compile_error(in + "]}}}"), Catch::Contains("predicate \"a\": $in has more than 256"));
}

TEST_CASE("filter: key is canonical", "[filter]") {
  auto k = [](const char* spec) { return key(compile(spec)); };
  // key order, at every level
  CHECK(k(R"({"entity":"p","predicates":{"a":1,"b":{"$gt":1,"$lt":5}},"scopes":{"x":"1","y":"2"}})")
        == k(R"({"scopes":{"y":"2","x":"1"},"predicates":{"b":{"$lt":5,"$gt":1},"a":1},"entity":"p"})"));
  CHECK(k(R"({"predicates":{"o":{"$eq":{"a":1,"b":[1,{"c":2,"d":3}]}}}})")
        == k(R"({"predicates":{"o":{"$eq":{"b":[1,{"d":3,"c":2}],"a":1}}}})"));
  // implicit and explicit $eq, number spelling, operations case and order, $in order/duplicates
  CHECK(k(R"({"predicates":{"a":1}})") == k(R"({"predicates":{"a":{"$eq":1.0}}})"));
  CHECK(k(R"({"predicates":{"a":100}})") == k(R"({"predicates":{"a":1e2}})"));
  CHECK(k(R"({"operations":["insert","UPDATE"]})") == k(R"({"operations":["update","INSERT","Insert"]})"));
  CHECK(k(R"({"predicates":{"a":{"$in":[1,"x",2]}}})") == k(R"({"predicates":{"a":{"$in":[2,"x",1.0,1]}}})"));
  // a filter of scopes only keeps the scope_filter key
  auto scopes_only = compile(R"({"scopes":{"a":"1"}})");
  CHECK(key(scopes_only) == scopes_only.scopes.key());
  CHECK(k(R"({})") == "");

  // different filters, different keys
  const char* distinct[] = {
    R"({})",
    R"({"scopes":{"a":"1"}})",
    R"({"scopes":{"a":"2"}})",
    R"({"operations":["INSERT"]})",
    R"({"operations":["INSERT","UPDATE"]})",
    R"({"entity":"INSERT"})",
    R"({"entity":"products"})",
    R"({"predicates":{"a":1}})",
    R"({"predicates":{"a":"1"}})",
    R"({"predicates":{"a":1.5}})",
    R"({"predicates":{"a":{"$ne":1}}})",
    R"({"predicates":{"a":{"$gt":1}}})",
    R"({"predicates":{"a":{"$gte":1}}})",
    R"({"predicates":{"a":{"$lt":1}}})",
    R"({"predicates":{"a":{"$lte":1}}})",
    R"({"predicates":{"a":{"$in":[1]}}})",
    R"({"predicates":{"a":{"$nin":[1]}}})",
    R"({"predicates":{"a":{"$exists":true}}})",
    R"({"predicates":{"a":{"$exists":false}}})",
    R"({"predicates":{"a":[1]}})",
    R"({"predicates":{"b":1}})",
    R"({"predicates":{"a.b":1}})",
    R"({"predicates":{"a":1,"b":1}})",
    R"({"scopes":{"a":"1"},"predicates":{"a":1}})",
    R"({"entity":"p","predicates":{"a":1}})",
    // crafted text must not collide thanks to length prefixes
    R"({"predicates":{"a":"1:b"}})",
    R"({"predicates":{"a":"x","b":"y"}})",
    R"({"predicates":{"a":"x\"b\"y"}})",
  };
  std::vector<std::string> keys;
  for (const auto* s : distinct)
    keys.push_back(k(s));
  for (std::size_t i = 0; i < keys.size(); ++i)
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      INFO(distinct[i] << " vs " << distinct[j]);
      CHECK(keys[i] != keys[j]);
    }
}

TEST_CASE("filter: evaluation reuses a resolved path for several operators", "[filter]") {
  auto f = compile(R"({"predicates":{"a.b":{"$gt":1,"$lt":5,"$ne":3},"c":1}})");
  REQUIRE(f.predicates.size() == 4);
  CHECK_FALSE(f.predicates[0].same_path_as_previous);
  CHECK(f.predicates[1].same_path_as_previous);
  CHECK(f.predicates[2].same_path_as_previous);
  CHECK_FALSE(f.predicates[3].same_path_as_previous);
  auto yes = json::parse(R"({"a":{"b":2},"c":1})");
  auto no = json::parse(R"({"a":{"b":3},"c":1})");
  CHECK(matches(f, {}, &yes));
  CHECK_FALSE(matches(f, {}, &no));
}

TEST_CASE("filter limits come from the configured filter_limits", "[filter]") {
  auto spec = boost::json::parse(R"({"predicates":{"a":1,"b":2,"c":3}})").as_object();
  filter_limits tight;
  tight.max_predicates = 2;
  auto refused = compile_filter(spec, tight);
  REQUIRE(std::holds_alternative<filter_error>(refused));
  CHECK(std::get<filter_error>(refused).message == "more than 2 predicates");
  CHECK(std::holds_alternative<event_filter>(compile_filter(spec, filter_limits{})));
  tight = filter_limits{};
  tight.max_operations = 1;
  auto ops = boost::json::parse(R"({"operations":["INSERT","UPDATE"]})").as_object();
  CHECK(std::holds_alternative<filter_error>(compile_filter(ops, tight)));
  // The process-wide limits (set from the config at startup) drive compile_filter(spec).
  auto saved = active_filter_limits();
  set_filter_limits(tight);
  CHECK(std::holds_alternative<filter_error>(compile_filter(ops)));
  set_filter_limits(saved);
  CHECK(std::holds_alternative<event_filter>(compile_filter(ops)));
}
