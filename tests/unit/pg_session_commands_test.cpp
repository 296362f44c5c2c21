// What the replication session sends, byte for byte: the standby status update, the walsender
// commands with their quoting, the conninfo keywords; and how connection errors are named.
#include "net/pg/pq_bounded.hpp"
#include "net/pg/replication_commands.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace pg = sy::pg;
namespace d = sy::pg::detail;

TEST_CASE("pg session commands: slot names, CREATE_REPLICATION_SLOT and START_REPLICATION",
          "[unit][pg]") {
  CHECK(pg::valid_slot_name("sy_slot_1"));
  CHECK(pg::valid_slot_name(std::string(63, 'a')));
  for (std::string bad : {std::string(), std::string(64, 'a'), std::string("Slot"),
                          std::string("a-b"), std::string("a\"b"), std::string("a b")})
    CHECK_FALSE(pg::valid_slot_name(bad));
  CHECK(d::create_slot_command("s1") ==
        "CREATE_REPLICATION_SLOT \"s1\" LOGICAL pgoutput NOEXPORT_SNAPSHOT");
  CHECK(d::start_replication_command("s1", 0x16B374D848ull, "pub") ==
        "START_REPLICATION SLOT \"s1\" LOGICAL 16/B374D848 (proto_version '1', "
        "publication_names '\"pub\"')");
  // An identifier's quotes are doubled, then the literal's.
  CHECK(d::start_replication_command("s1", 0, "a\"b'c,d") ==
        "START_REPLICATION SLOT \"s1\" LOGICAL 0/0 (proto_version '1', "
        "publication_names '\"a\"\"b''c,d\"')");
}

TEST_CASE("pg session commands: the connections' keywords keep the dsn's options first",
          "[unit][pg]") {
  pg::session_options o;
  o.dsn = "host=db port=5433 user=u options='-c search_path=app'";
  o.connect_timeout_s = 3;
  pg::session_error err;
  auto plain = d::conn_keywords(o, false, err);
  REQUIRE_FALSE(err);
  using kv = std::pair<std::string, std::string>;
  CHECK(plain == std::vector<kv>{{"dbname", o.dsn}, {"connect_timeout", "3"}});
  auto repl = d::conn_keywords(o, true, err);
  REQUIRE_FALSE(err);
  CHECK(repl == std::vector<kv>{{"dbname", o.dsn},
                                {"connect_timeout", "3"},
                                {"replication", "database"},
                                {"options", std::string("-c search_path=app ") +
                                              d::session_settings}});
  o.dsn = "postgresql://u@db/app";
  auto uri = d::conn_keywords(o, true, err);
  REQUIRE_FALSE(err);
  CHECK(uri.back() == kv{"options", d::session_settings});
}

TEST_CASE("pg session commands: a dsn that does not parse is bad_config without its text",
          "[unit][pg]") {
  pg::session_options o;
  o.dsn = "host=db password=hunter2secret dangling";
  pg::session_error err;
  CHECK(d::conn_keywords(o, true, err).empty());
  CHECK(err.kind == pg::failure::bad_config);
  CHECK(err.message.find("hunter2") == std::string::npos);
  CHECK(err.message.find("dangling") == std::string::npos);
  o.dsn = "host=db nosuchkey=1";
  CHECK(d::conn_keywords(o, true, err).empty());
  CHECK(err.message.find("nosuchkey") != std::string::npos);
}

TEST_CASE("pg session commands: replication_conninfo of a conninfo and of a URI", "[unit][pg]") {
  CHECK(pg::replication_conninfo("host=h dbname=d") ==
        std::string("host=h dbname=d replication=database options='") + d::session_settings +
          "'");
  CHECK(pg::replication_conninfo("postgresql://u@h/d") ==
        "postgresql://u@h/d?replication=database&options=-c%20DateStyle%3DISO%20-c%20TimeZone"
        "%3DUTC%20-c%20bytea_output%3Dhex%20-c%20extra_float_digits%3D3%20-c%20IntervalStyle"
        "%3Diso_8601");
  CHECK(pg::replication_conninfo("postgres://h/d?sslmode=disable").find(
          "?sslmode=disable&replication=database&options=") != std::string::npos);
}

TEST_CASE("pg session commands: connection errors are named by libpq's message", "[unit][pg]") {
  using pg::failure;
  CHECK(d::classify_connect("connection to server at \"h\" failed: FATAL:  password "
                            "authentication failed for user \"u\"\n")
          .kind == failure::auth_failed);
  CHECK(d::classify_connect("FATAL:  no pg_hba.conf entry for replication connection").kind ==
        failure::auth_failed);
  CHECK(d::classify_connect("FATAL:  role \"x\" does not exist").kind == failure::auth_failed);
  CHECK(d::classify_connect("FATAL:  must be superuser or replication role to start walsender")
          .kind == failure::permission);
  CHECK(d::classify_connect("FATAL:  database \"nope\" does not exist").kind ==
        failure::bad_config);
  auto refused = d::classify_connect("connection to server at \"127.0.0.1\", port 1 failed: "
                                     "Connection refused\n\tIs the server running?\n");
  CHECK(refused.kind == failure::unreachable);
  CHECK(refused.message.find('\n') == std::string::npos);
  CHECK(d::one_line(" a\n\tb  c \n") == "a b c");
  CHECK(pg::failure_name(failure::slot_active) == "slot_active");
  CHECK(pg::failure_name(failure::wal_level) == "wal_level");
  CHECK(pg::failure_name(failure::none) == "none");
}
