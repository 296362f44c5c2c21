// PostgreSQL change capture end to end: a real PostgreSQL 15 (support/pg_server), the real
// daemon with a `sources` entry, real gateway and SnackBase WebSocket clients. Row changes
// with either replica identity in their exact frame shapes, filters, commit order within a
// transaction and across tables, TRUNCATE. PostgreSQL missing fails these tests.
#include "sources_support.hpp"

using namespace sy::test;

namespace {

// -- one row change as each dialect must deliver it --

struct change {
  const char* sql;
  const char* op;          // INSERT / UPDATE / DELETE
  const char* record;      // JSON, "null" for a DELETE
  const char* old_default; // oldRecord with REPLICA IDENTITY DEFAULT (nullptr: none)
  const char* old_full;    // ... with FULL
  const char* changed_default; // changedColumns (nullptr: none)
  const char* changed_full;
  bool pricey;             // record.price >= 100
};

// DEFAULT sends no old row: oldRecord is the key, and every non-key column "may have
// changed". FULL sends the whole old row, so changedColumns are exactly the changed ones.
const change crud[] = {
  {"INSERT INTO products VALUES (1, 'Lamp', 79.99)", "INSERT",
   R"({"id":1,"name":"Lamp","price":79.99})", nullptr, nullptr, nullptr, nullptr, false},
  {"INSERT INTO products VALUES (2, 'Desk', 250.00)", "INSERT",
   R"({"id":2,"name":"Desk","price":250.00})", nullptr, nullptr, nullptr, nullptr, true},
  {"UPDATE products SET price = 99.99 WHERE id = 1", "UPDATE",
   R"({"id":1,"name":"Lamp","price":99.99})", R"({"id":1})",
   R"({"id":1,"name":"Lamp","price":79.99})", R"(["name","price"])", R"(["price"])", false},
  {"UPDATE products SET name = 'Lamp XL', price = 120.50 WHERE id = 1", "UPDATE",
   R"({"id":1,"name":"Lamp XL","price":120.50})", R"({"id":1})",
   R"({"id":1,"name":"Lamp","price":99.99})", R"(["name","price"])", R"(["name","price"])",
   true},
  {"UPDATE products SET price = 300.00 WHERE id = 2", "UPDATE",
   R"({"id":2,"name":"Desk","price":300.00})", R"({"id":2})",
   R"({"id":2,"name":"Desk","price":250.00})", R"(["name","price"])", R"(["price"])", true},
  {"DELETE FROM products WHERE id = 2", "DELETE", "null", R"({"id":2})",
   R"({"id":2,"name":"Desk","price":300.00})", nullptr, nullptr, false},
};

void create_products(const pg_server& pg, bool full) {
  pg.exec("CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2))");
  if (full)
    pg.exec("ALTER TABLE products REPLICA IDENTITY FULL");
}

// The gateway frame of `c`: keys in stored order, every value, the commit time, the LSN.
void check_gateway_frame(const json::object& f, const change& c, bool full,
                         const commit_window& w) {
  INFO("frame " << to_text(f) << " for `" << c.sql << "`");
  const char* old = full ? c.old_full : c.old_default;
  const char* changed = full ? c.changed_full : c.changed_default;
  std::vector<std::string> want{"type", "channel", "operation", "table", "record"};
  if (old)
    want.emplace_back("oldRecord");
  if (changed)
    want.emplace_back("changedColumns");
  want.insert(want.end(), {"timestamp", "correlationId"});
  CHECK(keys_of(f) == want);
  CHECK(field_s(f, "type") == "event");
  CHECK(field_s(f, "channel") == "postgres:products");
  CHECK(field_s(f, "operation") == c.op);
  CHECK(field_s(f, "table") == "products");
  CHECK(f.at("record") == parse_json(c.record));
  if (old)
    CHECK(f.at("oldRecord") == parse_json(old));
  if (changed)
    CHECK(f.at("changedColumns") == parse_json(changed));
  check_commit_time(field_s(f, "timestamp"), w);
  CHECK(lsn_shaped(field_s(f, "correlationId")));
}

void check_snackbase_frame(const json::object& f, const change& c, bool full,
                           const commit_window& w) {
  INFO("frame " << to_text(f) << " for `" << c.sql << "`");
  std::string op = c.op;
  std::string type = op == "INSERT" ? "products.create"
                     : op == "UPDATE" ? "products.update"
                                      : "products.delete";
  CHECK(keys_of(f) == keys({"type", "timestamp", "data"}));
  CHECK(field_s(f, "type") == type);
  // data: the row; for a delete the removed row as the server sent it.
  auto data = op == "DELETE" ? (full ? c.old_full : c.old_default) : c.record;
  CHECK(f.at("data") == parse_json(data));
  check_commit_time(field_s(f, "timestamp"), w);
}

void crud_reaches_every_subscriber(bool full) {
  pg_server pg;
  create_products(pg, full);
  source_spec s;
  s.dsn = pg.dsn();
  s.workspace = "default"; // the SnackBase workspace: collection products is this table
  s.slot = "switchyard_default";
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  auto ops = gateway_client(*d, "default", "postgres:products",
                            R"({"operations":["UPDATE","DELETE"]})");
  auto pricey = gateway_client(*d, "default", "postgres:*",
                               R"({"predicates":{"price":{"$gte":100}}})");
  auto snack = snackbase_client(*d, "products");

  std::vector<commit_window> windows;
  for (const auto& c : crud)
    windows.push_back(exec_timed(pg, c.sql));

  std::size_t n = std::size(crud);
  std::uint64_t last_lsn = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = crud[i];
    auto sf = next_object(snack, 10s);
    check_snackbase_frame(sf, c, full, windows[i]);
    if (std::string(c.op) != "INSERT") {
      auto f = next_object(ops, 10s);
      check_gateway_frame(f, c, full, windows[i]);
      auto lsn = lsn_value(field_s(f, "correlationId"));
      CHECK(lsn > last_lsn); // each change its own, later position
      last_lsn = lsn;
    }
    if (c.pricey)
      check_gateway_frame(next_object(pricey, 10s), c, full, windows[i]);
  }
  // Nothing else: the filters held back what they should.
  expect_silence(ops);
  expect_silence(pricey);
  expect_silence(snack);
}

} // namespace

TEST_CASE("sources: INSERT, UPDATE, DELETE with REPLICA IDENTITY DEFAULT reach gateway and "
          "SnackBase subscribers in their exact shapes",
          "[integration][pg][sources]") {
  crud_reaches_every_subscriber(false);
}

TEST_CASE("sources: INSERT, UPDATE, DELETE with REPLICA IDENTITY FULL carry the whole old row "
          "and exactly the changed columns",
          "[integration][pg][sources]") {
  crud_reaches_every_subscriber(true);
}

TEST_CASE("sources: a transaction of 50 inserts and 50 updates arrives whole and in commit "
          "order",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg, false);
  source_spec s;
  s.dsn = pg.dsn();
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  auto c = gateway_client(*d, "acme", "postgres:products");
  std::string sql = "BEGIN;";
  for (int i = 1; i <= 50; ++i)
    sql += "INSERT INTO products VALUES (" + std::to_string(i) + ", 'p" + std::to_string(i) +
           "', " + std::to_string(i) + ");";
  for (int i = 50; i >= 1; --i) // updates in another order than the inserts
    sql += "UPDATE products SET price = price + 1000 WHERE id = " + std::to_string(i) + ";";
  sql += "COMMIT;";
  auto w = exec_timed(pg, sql);

  std::uint64_t last_lsn = 0;
  for (int k = 0; k < 100; ++k) {
    auto f = next_object(c, 10s);
    INFO("change " << k << ": " << to_text(f));
    bool insert = k < 50;
    std::int64_t id = insert ? k + 1 : 100 - k;
    REQUIRE(field_s(f, "operation") == (insert ? "INSERT" : "UPDATE"));
    REQUIRE(field_i(field_o(f, "record"), "id") == id);
    CHECK(field_o(f, "record").at("price").to_number<double>() ==
          static_cast<double>(id + (insert ? 0 : 1000)));
    check_commit_time(field_s(f, "timestamp"), w);
    auto lsn = lsn_value(field_s(f, "correlationId"));
    CHECK(lsn > last_lsn);
    last_lsn = lsn;
  }
  expect_silence(c);
  // One transaction: one commit LSN in every key, the ordinal counting its changes.
  auto events = channel_history(*d, "ws.acme.postgres:products");
  REQUIRE(events.size() == 100);
  auto first_key = field_s(events[0], "idempotencyKey");
  auto prefix = first_key.substr(0, first_key.rfind(':') + 1);
  CHECK(prefix.rfind("pg:switchyard_acme:", 0) == 0);
  for (std::size_t i = 0; i < events.size(); ++i)
    CHECK(field_s(events[i], "idempotencyKey") == prefix + std::to_string(i + 1));
}

// The source publishes a change for another table only once the previous table's changes are
// stored and fanned out (completion::after_delivery): before that, a channel acknowledged on
// store and fanned out on its next flush, and neighbours arrived swapped (2 of 2 runs).
TEST_CASE("sources: transactions alternating between two tables reach a postgres wildcard "
          "subscriber in commit order",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg, false);
  pg.exec("CREATE TABLE orders (id int PRIMARY KEY, product int, qty int)");
  source_spec s;
  s.dsn = pg.dsn();
  s.tables = {"products", "orders"};
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  auto c = gateway_client(*d, "acme", "postgres:*");
  // Three transactions, each switching tables at every statement: a change for the other
  // table must not overtake the one before it.
  std::vector<std::pair<std::string, std::int64_t>> want; // (table, id)
  for (int t = 0; t < 3; ++t) {
    std::string sql = "BEGIN;";
    for (int i = 0; i < 10; ++i) {
      int id = t * 10 + i + 1;
      sql += "INSERT INTO products VALUES (" + std::to_string(id) + ", 'p', 1);";
      sql += "INSERT INTO orders VALUES (" + std::to_string(id) + ", " + std::to_string(id) +
             ", 2);";
      want.emplace_back("products", id);
      want.emplace_back("orders", id);
    }
    pg.exec(sql + "COMMIT;");
  }
  for (std::size_t k = 0; k < want.size(); ++k) {
    auto f = next_object(c, 10s);
    INFO("change " << k << ": " << to_text(f));
    REQUIRE(field_s(f, "table") == want[k].first);
    REQUIRE(field_s(f, "channel") == "postgres:" + want[k].first);
    REQUIRE(field_i(field_o(f, "record"), "id") == want[k].second);
  }
  expect_silence(c);
}

TEST_CASE("sources: TRUNCATE is delivered as an event with the operation and the table",
          "[integration][pg][sources]") {
  pg_server pg;
  create_products(pg, false);
  source_spec s;
  s.dsn = pg.dsn();
  s.workspace = "default";
  s.slot = "switchyard_default";
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  auto g = gateway_client(*d, "default", "postgres:products");
  auto snack = snackbase_client(*d, "products");
  pg.exec("INSERT INTO products VALUES (1, 'Lamp', 10)");
  auto w = exec_timed(pg, "TRUNCATE products");

  CHECK(field_s(next_object(g, 10s), "operation") == "INSERT");
  auto f = next_object(g, 10s);
  INFO("gateway frame " << to_text(f));
  CHECK(keys_of(f) ==
        keys({"type", "channel", "operation", "table", "timestamp", "correlationId"}));
  CHECK(field_s(f, "type") == "event");
  CHECK(field_s(f, "channel") == "postgres:products");
  CHECK(field_s(f, "operation") == "TRUNCATE");
  CHECK(field_s(f, "table") == "products");
  check_commit_time(field_s(f, "timestamp"), w);
  CHECK(lsn_shaped(field_s(f, "correlationId")));

  // SnackBase has no truncate operation: the frame is "<collection>.truncate" with the change
  // itself as data (no row to carry).
  CHECK(field_s(next_object(snack, 10s), "type") == "products.create");
  auto sf = next_object(snack, 10s);
  INFO("SnackBase frame " << to_text(sf));
  CHECK(field_s(sf, "type") == "products.truncate");
  CHECK(sf.at("data") == parse_json(R"({"operation":"TRUNCATE","table":"products"})"));

  auto events = channel_history(*d, "ws.default.postgres:products");
  REQUIRE(events.size() == 2);
  CHECK(field_s(events[1], "type") == "TRUNCATE");
  expect_silence(g);
}

TEST_CASE("sources: column types map to the documented JSON values end to end",
          "[integration][pg][sources]") {
  pg_server pg;
  pg.exec("CREATE TABLE types (id int4 PRIMARY KEY, i2 int2, i8 int8, i8min int8, n numeric, "
          "nbig numeric, f8 float8, fnan float8, flag bool, t text, v varchar(20), j json, "
          "jb jsonb, u uuid, tz timestamptz, ts timestamp, d date, ia int[], ta text[], "
          "b bytea, nul text)");
  source_spec s;
  s.dsn = pg.dsn();
  s.tables = {"types"};
  auto d = daemon_with_sources({s});
  wait_source(*d, s.slot, "streaming");
  auto c = gateway_client(*d, "acme", "postgres:types");
  pg.exec("SET TimeZone = 'Europe/Berlin';"
          "INSERT INTO types VALUES (1, -32768, 9223372036854775807, -9223372036854775808, "
          "29.99, 12345678901234567890.12, 1.5, 'NaN', true, 'h\u00e9llo \"q\" \\ end', 'vc', "
          "'{\"a\": [1, 2.50, \"x\"], \"s\": \"sp ace\"}', '{\"b\": {\"c\": null}}', "
          "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '2024-01-15 10:00:00.123+02', "
          "'2024-01-15 10:00:00.5', '2024-01-15', '{1,NULL,3}', "
          "ARRAY['a', NULL, 'NULL', 'say \"hi\"', 'b,c', ''], '\\x0102ff'::bytea, NULL)");
  auto text = c.read_text(10s);
  REQUIRE(text);
  INFO("gateway frame " << *text);
  // The stored event keeps the digits PostgreSQL printed (no float round trip on the way).
  // The gateway frame writes the parsed record again: numbers in their shortest form (2.50 ->
  // 2.5), so values are checked below, and the seed's 29.99 by its text.
  http_client h(d->port());
  auto stored = h.request("GET", "/v1/channels/ws.acme.postgres:types/events", "", api_key_auth());
  REQUIRE(stored.status == 200);
  INFO("stored " << stored.body);
  for (const char* raw : {R"("i2":-32768)", R"("i8":9223372036854775807)",
                          R"("i8min":-9223372036854775808)", R"("n":29.99)",
                          R"("nbig":"12345678901234567890.12")", R"("f8":1.5)",
                          R"("j":{"a":[1,2.50,"x"],"s":"sp ace"})", R"("jb":{"b":{"c":null}})"})
    CHECK(stored.body.find(raw) != std::string::npos);
  CHECK(text->find(R"("n":29.99)") != std::string::npos); // not Boost's 2.999E1
  auto f = parse_json(*text);
  REQUIRE(f.is_object());
  const auto& r = field_o(f.as_object(), "record");
  auto want = parse_json(R"({"id":1,"i2":-32768,"i8":9223372036854775807,
    "i8min":-9223372036854775808,"n":29.99,"nbig":"12345678901234567890.12","f8":1.5,
    "fnan":"NaN","flag":true,"t":"h\u00e9llo \"q\" \\ end","v":"vc",
    "j":{"a":[1,2.50,"x"],"s":"sp ace"},"jb":{"b":{"c":null}},
    "u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","tz":"2024-01-15T08:00:00.123Z",
    "ts":"2024-01-15T10:00:00.5","d":"2024-01-15","ia":[1,null,3],
    "ta":["a",null,"NULL","say \"hi\"","b,c",""],"b":"\\x0102ff","nul":null})");
  REQUIRE(want.is_object());
  CHECK(keys_of(r) == keys_of(want.as_object())); // every column, in table order
  for (const auto& kv : want.as_object()) {
    INFO("column " << kv.key());
    CHECK(r.contains(kv.key()));
    if (r.contains(kv.key()))
      CHECK(r.at(kv.key()) == kv.value());
  }
  CHECK(r.at("i8").is_int64()); // a number, not a double near it
  CHECK(r.at("n").is_double());
}
