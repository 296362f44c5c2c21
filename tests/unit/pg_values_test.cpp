// PostgreSQL text values -> JSON by type, and the row-change event data built from a decoded
// Relation and a change (every old-tuple case of UPDATE and DELETE).
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include "net/pg/change_json.hpp"
#include "net/pg/pg_values.hpp"
#include "schema/json_text.hpp"

using namespace sy::pg;

namespace {

std::string value(std::uint32_t oid, std::string_view text) {
  std::string out;
  append_value_json(out, oid, text);
  boost::json::error_code ec;
  auto v = boost::json::parse(out, ec);
  INFO(out);
  CHECK_FALSE(ec); // whatever the text, the value is valid JSON
  CHECK(sy::finite_numbers(v));
  return out;
}

std::string quoted(std::string_view s) { return sy::json_quote(s); }

} // namespace

TEST_CASE("pg bool maps to true and false", "[pg][values]") {
  CHECK(value(16, "t") == "true");
  CHECK(value(16, "f") == "false");
  CHECK(value(16, "maybe") == "\"maybe\"");
}

TEST_CASE("pg integers and oid map to numbers as given", "[pg][values]") {
  CHECK(value(21, "-32768") == "-32768");
  CHECK(value(23, "0") == "0");
  CHECK(value(20, "9223372036854775807") == "9223372036854775807");
  CHECK(value(20, "-9223372036854775808") == "-9223372036854775808");
  CHECK(value(26, "4294967295") == "4294967295");
  // Not an integer's text: a string, never invalid JSON.
  CHECK(value(23, "007") == "\"007\"");
  CHECK(value(23, "") == "\"\"");
  CHECK(value(23, "1e3") == "\"1e3\"");
  CHECK(value(23, std::string(400, '9')) == quoted(std::string(400, '9')));
}

TEST_CASE("pg floats map to numbers and their specials to strings", "[pg][values]") {
  CHECK(value(701, "1.5") == "1.5");
  CHECK(value(701, "-0.1") == "-0.1");
  CHECK(value(701, "1e+20") == "1e+20");
  CHECK(value(700, "1.2345678e-05") == "1.2345678e-05");
  CHECK(value(701, "NaN") == "\"NaN\"");
  CHECK(value(701, "Infinity") == "\"Infinity\"");
  CHECK(value(700, "-Infinity") == "\"-Infinity\"");
  CHECK(value(701, "1e400") == "\"1e400\""); // would read back as infinity
  CHECK(value(701, "0e400") == "\"0e400\""); // zero to C++, NaN to Boost.JSON
  CHECK(value(701, "1e-400") == "\"1e-400\"");
  CHECK(value(701, ".5") == "\".5\"");
}

TEST_CASE("pg numeric is a number only when a double holds it exactly", "[pg][values]") {
  CHECK(value(1700, "12.50") == "12.50"); // digits verbatim
  CHECK(value(1700, "-0.000123") == "-0.000123");
  CHECK(value(1700, "0") == "0");
  CHECK(value(1700, "0.0000") == "0.0000");
  CHECK(value(1700, "123456789012345") == "123456789012345");                  // 15 digits
  CHECK(value(1700, "1234567890123456") == "\"1234567890123456\"");            // 16
  CHECK(value(1700, "0.123456789012345") == "0.123456789012345");              // 15
  CHECK(value(1700, "0.1234567890123456") == "\"0.1234567890123456\"");        // 16
  CHECK(value(1700, "100000000000000000000") == "100000000000000000000");      // 1 digit
  CHECK(value(1700, "1.000000000000000000001") == "\"1.000000000000000000001\"");
  CHECK(value(1700, "1" + std::string(307, '0')) == "1" + std::string(307, '0'));
  CHECK(value(1700, "1" + std::string(308, '0')) == quoted("1" + std::string(308, '0')));
  CHECK(value(1700, "0." + std::string(306, '0') + "1") == "0." + std::string(306, '0') + "1");
  CHECK(value(1700, "0." + std::string(307, '0') + "1")
        == quoted("0." + std::string(307, '0') + "1"));
  CHECK(value(1700, "NaN") == "\"NaN\"");
  CHECK(value(1700, "Infinity") == "\"Infinity\"");
  CHECK(value(1700, "-Infinity") == "\"-Infinity\"");
  CHECK(value(1700, "1e5") == "\"1e5\"");
}

TEST_CASE("pg text-like types map to escaped strings", "[pg][values]") {
  CHECK(value(25, "plain") == "\"plain\"");
  CHECK(value(25, "a \"q\" \\ \n\t\x01") == "\"a \\\"q\\\" \\\\ \\n\\t\\u0001\"");
  CHECK(value(25, "h\xc3\xa9") == "\"h\xc3\xa9\"");
  // Bytes that are not UTF-8 (a SQL_ASCII database) become U+FFFD, one per byte.
  CHECK(value(25, "a\xff\xc3") == "\"a\xef\xbf\xbd\xef\xbf\xbd\"");
  CHECK(value(25, "\xed\xa0\x80z") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"");
  CHECK(value(1009, "{\"\xc0\"}") == "[\"\xef\xbf\xbd\"]");
  CHECK(value(1184, "2024-01-15 10:00:00+00 \xfe") == "\"2024-01-15 10:00:00+00 \xef\xbf\xbd\"");
  CHECK(value(1043, "v") == "\"v\"");
  CHECK(value(1042, "pad  ") == "\"pad  \"");
  CHECK(value(19, "n") == "\"n\"");
  CHECK(value(18, "c") == "\"c\"");
  CHECK(value(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
        == "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  CHECK(value(600, "(1,2)") == "\"(1,2)\""); // point: any type not listed
  CHECK(value(17, "\\x0102ff") == "\"\\\\x0102ff\"");
}

TEST_CASE("pg json and jsonb embed as JSON and fall back to a string", "[pg][values]") {
  CHECK(value(3802, "{\"a\": 1, \"b\": [true, null, 1.50]}")
        == "{\"a\":1,\"b\":[true,null,1.50]}");
  CHECK(value(114, "{\n  \"k\" : \"x y\\\" z\"\n}") == "{\"k\":\"x y\\\" z\"}");
  CHECK(value(114, "42") == "42");
  CHECK(value(114, "\"s\"") == "\"s\"");
  CHECK(value(114, "{bad") == "\"{bad\"");
  CHECK(value(3802, "[1e400]") == "\"[1e400]\"");
  std::string deep(40, '[');
  deep += std::string(40, ']');
  CHECK(value(3802, deep) == quoted(deep)); // deeper than the parser's limit
}

TEST_CASE("pg timestamps map to ISO 8601", "[pg][values]") {
  CHECK(value(1184, "2024-01-15 10:00:00.123+00") == "\"2024-01-15T10:00:00.123Z\"");
  CHECK(value(1184, "2024-01-15 10:00:00+00") == "\"2024-01-15T10:00:00Z\"");
  CHECK(value(1184, "2024-01-15 10:00:00.000001+00") == "\"2024-01-15T10:00:00.000001Z\"");
  CHECK(value(1184, "2024-01-15 10:00:00+05:30") == "\"2024-01-15T10:00:00+05:30\"");
  CHECK(value(1184, "2024-01-15 10:00:00-08") == "\"2024-01-15T10:00:00-08:00\"");
  CHECK(value(1184, "12024-01-15 10:00:00+00") == "\"12024-01-15T10:00:00Z\"");
  CHECK(value(1184, "infinity") == "\"infinity\"");
  CHECK(value(1184, "-infinity") == "\"-infinity\"");
  CHECK(value(1184, "0044-03-15 10:00:00+00 BC") == "\"0044-03-15 10:00:00+00 BC\"");
  CHECK(value(1114, "2024-01-15 10:00:00") == "\"2024-01-15T10:00:00\"");
  CHECK(value(1114, "2024-01-15 10:00:00.5") == "\"2024-01-15T10:00:00.5\"");
  CHECK(value(1114, "0044-03-15 10:00:00 BC") == "\"0044-03-15 10:00:00 BC\"");
  CHECK(value(1114, "infinity") == "\"infinity\"");
  CHECK(value(1082, "2024-01-15") == "\"2024-01-15\"");
  CHECK(value(1083, "10:00:00.5") == "\"10:00:00.5\"");
  CHECK(value(1266, "10:00:00+02") == "\"10:00:00+02\"");
}

TEST_CASE("pg arrays map element by element", "[pg][values][arrays]") {
  CHECK(value(1007, "{1,2,NULL}") == "[1,2,null]");
  CHECK(value(1007, "{}") == "[]");
  CHECK(value(1007, "{{1,2},{3,4}}") == "[[1,2],[3,4]]");
  CHECK(value(1009, R"({"a b","c\"d",NULL,"NULL",plain,"back\\slash"})")
        == R"(["a b","c\"d",null,"NULL","plain","back\\slash"])");
  CHECK(value(1009, "{null,Null}") == "[null,null]"); // bare NULL in any case
  CHECK(value(1009, "{\\NULL}") == "[\"NULL\"]");     // escaped: the text
  CHECK(value(1009, "{ a , b c }") == "[\"a\",\"b c\"]");
  CHECK(value(1007, "[0:1]={5,6}") == "[5,6]");
  CHECK(value(1007, "[1:2][-1:0]={{1,2},{3,4}}") == "[[1,2],[3,4]]");
  CHECK(value(1000, "{t,f}") == "[true,false]");
  CHECK(value(1005, "{-1}") == "[-1]");
  CHECK(value(1016, "{9223372036854775807}") == "[9223372036854775807]");
  CHECK(value(1015, "{x}") == "[\"x\"]");
  CHECK(value(1014, "{\"y \"}") == "[\"y \"]");
  CHECK(value(1021, "{1.5,NaN}") == "[1.5,\"NaN\"]");
  CHECK(value(1022, "{-Infinity}") == "[\"-Infinity\"]");
  CHECK(value(1231, "{1.25,12345678901234567890.5}") == "[1.25,\"12345678901234567890.5\"]");
  CHECK(value(2951, "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")
        == "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
  CHECK(value(199, R"({"{\"a\": 1}","[2]"})") == R"([{"a":1},[2]])");
  CHECK(value(3807, R"({"{\"a\": {\"b\": null}}"})") == R"([{"a":{"b":null}}])");
  CHECK(value(1115, "{\"2024-01-15 10:00:00\"}") == "[\"2024-01-15T10:00:00\"]");
  CHECK(value(1185, "{\"2024-01-15 10:00:00+00\",infinity}")
        == "[\"2024-01-15T10:00:00Z\",\"infinity\"]");
  CHECK(value(1182, "{2024-01-15}") == "[\"2024-01-15\"]");
  CHECK(value(1003, "{pg_class}") == "[\"pg_class\"]");
  CHECK(value(1028, "{26,1}") == "[26,1]");
}

TEST_CASE("pg malformed arrays map to their text", "[pg][values][arrays]") {
  for (const char* bad : {"", "{", "}", "{1,2", "{1,,2}", "{1,}", "{,1}", "{\"a}", "{a\"b}",
                          "{1}x", "x{1}", "{1}}", "{{1}", "[0:1]{1}", "[0:1={1}", "[a:1]={1}",
                          "{1{2}}", "{\"a\"b}", "{a\\}", "{{{{{{{1}}}}}}}"}) {
    INFO(bad);
    CHECK(value(1007, bad) == quoted(bad));
  }
  CHECK(value(1007, "{{{{{{1}}}}}}") == "[[[[[[1]]]]]]"); // six dimensions: PostgreSQL's most
  CHECK(value(1007, "{abc}") == "[\"abc\"]"); // a bad element is a string, the array stays
  // Other array types are not mapped: their text stays a string.
  CHECK(value(1001, "{\"\\\\x01\"}") == quoted("{\"\\\\x01\"}"));
  CHECK(array_element_type(1001) == 0);
  CHECK(array_element_type(1007) == 23);
}

// -- the row-change event data ------------------------------------------------------------------

namespace {

tuple_value t(std::string s) { return {'t', std::move(s)}; }
const tuple_value null_v{'n', {}};
const tuple_value toast_v{'u', {}};

// users(id int4 key, name text, bio text, "a\"b" jsonb), REPLICA IDENTITY `identity`.
relation_msg users(char identity = 'd') {
  relation_msg r;
  r.oid = 16385;
  r.nspname = "public";
  r.name = "users";
  r.replica_identity = identity;
  bool full = identity == 'f'; // the server flags every column as key with FULL
  r.columns = {{true, "id", 23, -1}, {full, "name", 25, -1}, {full, "bio", 25, -1},
               {full, "a\"b", 3802, -1}};
  if (identity == 'n')
    r.columns[0].key = false;
  return r;
}

change_msg change(char op, char old_kind, tuple_data old_tuple, tuple_data new_tuple) {
  change_msg c;
  c.op = op;
  c.relation_oid = 16385;
  c.old_kind = old_kind;
  c.old_tuple = std::move(old_tuple);
  c.new_tuple = std::move(new_tuple);
  return c;
}

std::string data(const relation_msg& rel, const change_msg& c) {
  std::string out = "stale";
  std::string error;
  bool ok = change_data_json(rel, c, out, error);
  INFO(error);
  REQUIRE(ok);
  boost::json::error_code ec;
  boost::json::parse(out, ec);
  INFO(out);
  CHECK_FALSE(ec);
  return out;
}

std::string refusal(const relation_msg& rel, const change_msg& c) {
  std::string out, error;
  CHECK_FALSE(change_data_json(rel, c, out, error));
  CHECK_FALSE(error.empty());
  return error;
}

} // namespace

TEST_CASE("change json of an INSERT maps every column by type", "[pg][change]") {
  auto c = change('I', 0, {}, {t("7"), t("Ada"), null_v, t("{\"x\": [1, 2]}")});
  CHECK(data(users(), c)
        == R"({"operation":"INSERT","table":"users","record":{"id":7,"name":"Ada","bio":null,)"
           R"("a\"b":{"x":[1,2]}}})");
  auto odd = users();
  odd.name = "u\xff";
  odd.columns[1].name = "n\xfe";
  CHECK(data(odd, c).find("\"table\":\"u\xef\xbf\xbd\"") != std::string::npos);
  CHECK(data(odd, c).find("\"n\xef\xbf\xbd\":\"Ada\"") != std::string::npos);
  CHECK(operation_name('I') == "INSERT");
  CHECK(operation_name('T').empty());
}

TEST_CASE("change json of an UPDATE with the whole old row compares every column",
          "[pg][change]") {
  auto c = change('U', 'O', {t("7"), t("Ada"), null_v, t("{}")},
                  {t("7"), t("Bea"), t(""), toast_v});
  CHECK(data(users('f'), c)
        == R"({"operation":"UPDATE","table":"users",)"
           R"("record":{"id":7,"name":"Bea","bio":"","a\"b":{}},)"
           R"("oldRecord":{"id":7,"name":"Ada","bio":null,"a\"b":{}},)"
           R"("changedColumns":["name","bio"]})");
}

TEST_CASE("change json of an UPDATE that changed the key reports the old key",
          "[pg][change]") {
  // The server sends the old key and null for the other columns of the old tuple.
  auto c = change('U', 'K', {t("7"), null_v, null_v, null_v},
                  {t("8"), t("Ada"), null_v, toast_v});
  CHECK(data(users(), c)
        == R"({"operation":"UPDATE","table":"users",)"
           R"("record":{"id":8,"name":"Ada","bio":null},)"
           R"("oldRecord":{"id":7},"changedColumns":["id","name","bio"]})");
}

TEST_CASE("change json of an UPDATE without an old tuple keeps the key from the new row",
          "[pg][change]") {
  auto c = change('U', 0, {}, {t("7"), t("Ada"), null_v, toast_v});
  CHECK(data(users(), c)
        == R"({"operation":"UPDATE","table":"users",)"
           R"("record":{"id":7,"name":"Ada","bio":null},)"
           R"("oldRecord":{"id":7},"changedColumns":["name","bio"]})");
  // REPLICA IDENTITY NOTHING: no key, so nothing old is known.
  CHECK(data(users('n'), c)
        == R"({"operation":"UPDATE","table":"users",)"
           R"("record":{"id":7,"name":"Ada","bio":null},)"
           R"("oldRecord":{},"changedColumns":["id","name","bio"]})");
}

TEST_CASE("change json of a DELETE reports the old key or the whole old row", "[pg][change]") {
  auto key = change('D', 'K', {t("7"), null_v, null_v, null_v}, {});
  CHECK(data(users(), key)
        == R"({"operation":"DELETE","table":"users","record":null,"oldRecord":{"id":7}})");
  auto full = change('D', 'O', {t("7"), t("Ada"), null_v, toast_v}, {});
  CHECK(data(users('f'), full)
        == R"({"operation":"DELETE","table":"users","record":null,)"
           R"("oldRecord":{"id":7,"name":"Ada","bio":null}})");
}

TEST_CASE("change json refuses tuples that do not fit the relation", "[pg][change]") {
  auto rel = users();
  refusal(rel, change('I', 0, {}, {t("7")}));
  refusal(rel, change('U', 'K', {t("7")}, {t("8"), t("a"), null_v, null_v}));
  refusal(rel, change('D', 'O', {t("7"), null_v, null_v, null_v, null_v}, {}));
  refusal(rel, change('I', 'K', {t("7"), null_v, null_v, null_v},
                      {t("8"), t("a"), null_v, null_v}));
  refusal(rel, change('T', 0, {}, {}));
  auto other = change('I', 0, {}, {t("7"), t("Ada"), null_v, null_v});
  other.relation_oid = 1;
  CHECK(refusal(rel, other).find("relation") != std::string::npos);
}
