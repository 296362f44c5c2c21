// The walsender's CopyData messages and pgoutput (protocol version 1), decoded from bytes built
// by hand after the documented layouts: every message kind, every truncation, bad counts.
#include <catch2/catch.hpp>

#include <vector>

#include "net/pg/change_json.hpp"
#include "net/pg/lsn.hpp"
#include "net/pg/pgoutput.hpp"
#include "pg_bytes.hpp"

using namespace sy::pg;
using sy::test::pg_bytes;

namespace {

pgoutput_msg decode_ok(const std::string& bytes) {
  pgoutput_msg m;
  std::string error;
  bool ok = decode_pgoutput(bytes, m, error);
  INFO("error: " << error);
  REQUIRE(ok);
  CHECK(error.empty());
  return m;
}

std::string decode_error(const std::string& bytes) {
  pgoutput_msg m;
  std::string error;
  CHECK_FALSE(decode_pgoutput(bytes, m, error));
  CHECK_FALSE(error.empty());
  return error;
}

// One of each pgoutput message kind, well formed.
std::string begin_bytes() {
  return pg_bytes{}.byte('B').i64(0x16B374D848).i64(757382400123456).i32(747).s;
}
std::string commit_bytes() {
  return pg_bytes{}.byte('C').i8(0).i64(0x100).i64(0x128).i64(-5).s;
}
std::string relation_bytes() {
  return pg_bytes{}
    .byte('R').i32(16385).str("public").str("users").byte('d').i16(3)
    .i8(1).str("id").i32(23).i32(-1)
    .i8(0).str("name").i32(1043).i32(68)
    .i8(0).str("bio").i32(25).i32(-1)
    .s;
}
std::string insert_bytes() {
  return pg_bytes{}.byte('I').i32(16385).byte('N').i16(3).text("7").text("Ada").null().s;
}
std::string update_key_bytes() {
  return pg_bytes{}
    .byte('U').i32(16385)
    .byte('K').i16(3).text("7").null().null()
    .byte('N').i16(3).text("8").text("Ada").unchanged()
    .s;
}
std::string update_full_bytes() {
  return pg_bytes{}
    .byte('U').i32(16385)
    .byte('O').i16(3).text("7").text("Ada").text("")
    .byte('N').i16(3).text("7").text("Bea").text("")
    .s;
}
std::string update_plain_bytes() {
  return pg_bytes{}.byte('U').i32(16385).byte('N').i16(3).text("7").text("Ada").unchanged().s;
}
std::string delete_key_bytes() {
  return pg_bytes{}.byte('D').i32(16385).byte('K').i16(3).text("7").null().null().s;
}
std::string delete_full_bytes() {
  return pg_bytes{}.byte('D').i32(16385).byte('O').i16(3).text("7").text("Ada").null().s;
}
std::string truncate_bytes() {
  return pg_bytes{}.byte('T').i32(2).i8(3).i32(16385).i32(16390).s;
}
std::string type_bytes() {
  return pg_bytes{}.byte('Y').i32(16400).str("public").str("mood").s;
}
std::string origin_bytes() {
  return pg_bytes{}.byte('O').i64(0x200).str("node_a").s;
}
std::string message_bytes() {
  return pg_bytes{}.byte('M').i8(1).i64(0x300).str("app").i32(5).raw("hello").s;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

std::vector<std::string> every_message() {
  return {begin_bytes(),       commit_bytes(),       relation_bytes(),   insert_bytes(),
          update_key_bytes(),  update_full_bytes(),  update_plain_bytes(), delete_key_bytes(),
          delete_full_bytes(), truncate_bytes(),     type_bytes(),       origin_bytes(),
          message_bytes()};
}

} // namespace

TEST_CASE("lsn formats as upper-case hex halves and parses back", "[pg][lsn]") {
  CHECK(format_lsn(0x16B374D848) == "16/B374D848");
  CHECK(format_lsn(0) == "0/0");
  CHECK(format_lsn(~0ull) == "FFFFFFFF/FFFFFFFF");
  for (lsn_t v : {lsn_t{0}, lsn_t{1}, lsn_t{0x16B374D848}, lsn_t{0xFFFFFFFF00000000},
                  lsn_t{0x00000001FFFFFFFF}, ~lsn_t{0}}) {
    lsn_t back = 12345;
    REQUIRE(parse_lsn(format_lsn(v), back));
    CHECK(back == v);
  }
  lsn_t v = 0;
  CHECK(parse_lsn("16/b374d848", v));
  CHECK(v == 0x16B374D848);
  CHECK(parse_lsn("0000000A/00000001", v));
  CHECK(v == 0xA00000001);
}

TEST_CASE("lsn parse refuses anything but two hex halves", "[pg][lsn]") {
  lsn_t v = 7;
  for (const char* bad : {"", "/", "1/", "/1", "1", "123456789/0", "0/123456789", "1/2/3",
                          "g/0", " 1/0", "1/0 ", "-1/0", "+1/0", "0x1/0", "1 /0"}) {
    INFO(bad);
    CHECK_FALSE(parse_lsn(bad, v));
  }
  CHECK(v == 7);
}

TEST_CASE("pg timestamps convert to and from unix time", "[pg]") {
  CHECK(unix_ms(0) == 946684800000);
  CHECK(unix_ms(1500) == 946684800001);
  CHECK(unix_ms(-1) == 946684799999); // floors before 2000 too
  CHECK(pg_time_from_unix_us(946684800000000) == 0);
  CHECK(pg_time_from_unix_us(946684800000001) == 1);
  CHECK(pg_time_from_unix_us(INT64_MIN) == INT64_MIN); // saturates instead of overflowing
}

TEST_CASE("CopyData XLogData decodes with its payload", "[pg][copydata]") {
  auto bytes = pg_bytes{}.byte('w').i64(0x10).i64(0x20).i64(99).raw(begin_bytes()).s;
  copy_message m;
  std::string error;
  REQUIRE(decode_copy_data(bytes, m, error));
  auto* x = std::get_if<xlog_data>(&m);
  REQUIRE(x);
  CHECK(x->wal_start == 0x10);
  CHECK(x->wal_end == 0x20);
  CHECK(x->send_time == 99);
  CHECK(x->payload == begin_bytes());
  // The header alone is a (useless but) well-formed message. Every shorter prefix is not.
  REQUIRE(decode_copy_data(bytes.substr(0, 25), m, error));
  CHECK(std::get<xlog_data>(m).payload.empty());
  for (std::size_t n = 0; n < 25; ++n) {
    INFO(n);
    error.clear();
    CHECK_FALSE(decode_copy_data(bytes.substr(0, n), m, error));
    CHECK_FALSE(error.empty());
  }
}

TEST_CASE("CopyData primary keepalive decodes and must be exactly 18 bytes", "[pg][copydata]") {
  auto bytes = pg_bytes{}.byte('k').i64(0xABCDEF).i64(-7).i8(1).s;
  REQUIRE(bytes.size() == 18);
  copy_message m;
  std::string error;
  REQUIRE(decode_copy_data(bytes, m, error));
  auto* k = std::get_if<keepalive>(&m);
  REQUIRE(k);
  CHECK(k->wal_end == 0xABCDEF);
  CHECK(k->send_time == -7);
  CHECK(k->reply_requested);
  bytes.back() = 0;
  REQUIRE(decode_copy_data(bytes, m, error));
  CHECK_FALSE(std::get<keepalive>(m).reply_requested);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    INFO(n);
    CHECK_FALSE(decode_copy_data(bytes.substr(0, n), m, error));
  }
  error.clear();
  CHECK_FALSE(decode_copy_data(bytes + "x", m, error));
  CHECK(error.find("trailing") != std::string::npos);
}

TEST_CASE("CopyData of an unknown kind is refused", "[pg][copydata]") {
  copy_message m;
  std::string error;
  CHECK_FALSE(decode_copy_data("r0000000000000000", m, error));
  CHECK(error.find("unknown") != std::string::npos);
  CHECK_FALSE(decode_copy_data(std::string(1, '\0'), m, error));
}

TEST_CASE("standby status update is the documented 34 bytes", "[pg][copydata]") {
  auto bytes = standby_status_update(0x0102030405060708, 0x1112131415161718, 0x2122232425262728,
                                     0x3132333435363738, true);
  const std::string expected = std::string("r")
                               + "\x01\x02\x03\x04\x05\x06\x07\x08"
                                 "\x11\x12\x13\x14\x15\x16\x17\x18"
                                 "\x21\x22\x23\x24\x25\x26\x27\x28"
                                 "\x31\x32\x33\x34\x35\x36\x37\x38"
                               + std::string(1, '\x01');
  REQUIRE(bytes.size() == 34);
  CHECK(bytes == expected);
  auto no_reply = standby_status_update(1, 2, 3, -1, false);
  CHECK(no_reply == pg_bytes{}.byte('r').i64(1).i64(2).i64(3).i64(-1).i8(0).s);
}

TEST_CASE("pgoutput Begin and Commit decode", "[pg][pgoutput]") {
  auto b = std::get<begin_msg>(decode_ok(begin_bytes()));
  CHECK(b.final_lsn == 0x16B374D848);
  CHECK(b.commit_time == 757382400123456);
  CHECK(b.xid == 747);
  auto c = std::get<commit_msg>(decode_ok(commit_bytes()));
  CHECK(c.flags == 0);
  CHECK(c.commit_lsn == 0x100);
  CHECK(c.end_lsn == 0x128);
  CHECK(c.commit_time == -5);
}

TEST_CASE("pgoutput Relation decodes its columns and key flags", "[pg][pgoutput]") {
  auto r = std::get<relation_msg>(decode_ok(relation_bytes()));
  CHECK(r.oid == 16385);
  CHECK(r.nspname == "public");
  CHECK(r.name == "users");
  CHECK(r.replica_identity == 'd');
  REQUIRE(r.columns.size() == 3);
  CHECK(r.columns[0].key);
  CHECK(r.columns[0].name == "id");
  CHECK(r.columns[0].type_oid == 23);
  CHECK(r.columns[0].type_mod == -1);
  CHECK_FALSE(r.columns[1].key);
  CHECK(r.columns[1].type_oid == 1043);
  CHECK(r.columns[1].type_mod == 68);
  CHECK(r.columns[2].name == "bio");
  auto empty = std::get<relation_msg>(
    decode_ok(pg_bytes{}.byte('R').i32(1).str("").str("t").byte('n').i16(0).s));
  CHECK(empty.columns.empty());
  CHECK(empty.replica_identity == 'n');
}

TEST_CASE("pgoutput Insert decodes text and null values", "[pg][pgoutput]") {
  auto c = std::get<change_msg>(decode_ok(insert_bytes()));
  CHECK(c.op == 'I');
  CHECK(c.relation_oid == 16385);
  CHECK(c.old_kind == 0);
  CHECK(c.old_tuple.empty());
  REQUIRE(c.new_tuple.size() == 3);
  CHECK(c.new_tuple[0].kind == 't');
  CHECK(c.new_tuple[0].text == "7");
  CHECK(c.new_tuple[1].text == "Ada");
  CHECK(c.new_tuple[2].kind == 'n');
  // A value may hold any byte, NUL included: its length says where it ends.
  auto nul = std::get<change_msg>(decode_ok(
    pg_bytes{}.byte('I').i32(1).byte('N').i16(1).text(std::string("a\0b", 3)).s));
  CHECK(nul.new_tuple[0].text == std::string("a\0b", 3));
}

TEST_CASE("pgoutput Update decodes with key, whole old row or no old tuple", "[pg][pgoutput]") {
  auto k = std::get<change_msg>(decode_ok(update_key_bytes()));
  CHECK(k.op == 'U');
  CHECK(k.old_kind == 'K');
  REQUIRE(k.old_tuple.size() == 3);
  CHECK(k.old_tuple[0].text == "7");
  CHECK(k.old_tuple[1].kind == 'n');
  REQUIRE(k.new_tuple.size() == 3);
  CHECK(k.new_tuple[0].text == "8");
  CHECK(k.new_tuple[2].kind == 'u');
  auto o = std::get<change_msg>(decode_ok(update_full_bytes()));
  CHECK(o.old_kind == 'O');
  CHECK(o.old_tuple[1].text == "Ada");
  CHECK(o.new_tuple[1].text == "Bea");
  CHECK(o.new_tuple[2].kind == 't');
  CHECK(o.new_tuple[2].text.empty());
  auto plain = std::get<change_msg>(decode_ok(update_plain_bytes()));
  CHECK(plain.old_kind == 0);
  CHECK(plain.old_tuple.empty());
  CHECK(plain.new_tuple.size() == 3);
}

TEST_CASE("pgoutput Delete decodes the key or the whole old row", "[pg][pgoutput]") {
  auto k = std::get<change_msg>(decode_ok(delete_key_bytes()));
  CHECK(k.op == 'D');
  CHECK(k.old_kind == 'K');
  CHECK(k.old_tuple.size() == 3);
  CHECK(k.new_tuple.empty());
  auto o = std::get<change_msg>(decode_ok(delete_full_bytes()));
  CHECK(o.old_kind == 'O');
  CHECK(o.old_tuple[1].text == "Ada");
}

TEST_CASE("pgoutput Truncate decodes its relations and options", "[pg][pgoutput]") {
  auto t = std::get<truncate_msg>(decode_ok(truncate_bytes()));
  CHECK(t.options == 3);
  CHECK(t.relation_oids == std::vector<std::uint32_t>{16385, 16390});
}

TEST_CASE("pgoutput Type, Origin and Message decode as ignored", "[pg][pgoutput]") {
  CHECK(std::get<ignored_msg>(decode_ok(type_bytes())).kind == 'Y');
  CHECK(std::get<ignored_msg>(decode_ok(origin_bytes())).kind == 'O');
  CHECK(std::get<ignored_msg>(decode_ok(message_bytes())).kind == 'M');
}

TEST_CASE("pgoutput refuses every truncated prefix of every message kind", "[pg][pgoutput]") {
  for (const auto& full : every_message()) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      INFO("kind " << full[0] << " prefix " << n << " of " << full.size());
      decode_error(full.substr(0, n));
    }
  }
}

TEST_CASE("pgoutput refuses trailing bytes after a message", "[pg][pgoutput]") {
  for (const auto& full : every_message()) {
    INFO("kind " << full[0]);
    CHECK(decode_error(full + "x").find("trailing") != std::string::npos);
  }
}

TEST_CASE("pgoutput refuses unknown and later-protocol kinds", "[pg][pgoutput]") {
  // 'S'/'E'/'c'/'A' stream in-progress transactions (v2), 'P'/'K'/'r'/'p'/'b' are 2PC (v3).
  for (char kind : {'Z', 'S', 'E', 'c', 'A', 'P', 'K', 'r', 'p', 'b', 'w', '\0'}) {
    INFO(kind);
    auto e = decode_error(pg_bytes{}.byte(kind).i64(1).i64(2).i32(3).s);
    CHECK(e.find("unknown message kind") != std::string::npos);
  }
}

TEST_CASE("pgoutput refuses bad counts, lengths and tags without over-reading", "[pg][pgoutput]") {
  // Counts larger than what follows: refused before anything is reserved.
  decode_error(pg_bytes{}.byte('R').i32(1).str("s").str("t").byte('d').i16(32767).s);
  decode_error(pg_bytes{}.byte('R').i32(1).str("s").str("t").byte('d').i16(-1).s);
  decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(-1).s);
  decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(32767).null().s);
  decode_error(pg_bytes{}.byte('T').i32(-1).i8(0).s);
  decode_error(pg_bytes{}.byte('T').i32(0x7fffffff).i8(0).i32(1).s);
  decode_error(pg_bytes{}.byte('T').i32(1).i8(0).i32(1).i32(2).s); // one oid too many
  // Value lengths: negative, or longer than the message.
  decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(1).byte('t').i32(-1).s);
  decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(1).byte('t').i32(0x7fffffff).raw("ab").s);
  decode_error(pg_bytes{}.byte('M').i8(0).i64(1).str("p").i32(-3).s);
  decode_error(pg_bytes{}.byte('M').i8(0).i64(1).str("p").i32(9).raw("abc").s);
  // Value kinds: binary was not asked for, others do not exist.
  CHECK(decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(1).byte('b').i32(1).raw("x").s)
          .find("binary") != std::string::npos);
  decode_error(pg_bytes{}.byte('I').i32(1).byte('N').i16(1).byte('x').s);
  // Tags: Insert needs 'N', Delete needs 'K' or 'O', Update's old tuple needs an 'N' after it.
  decode_error(pg_bytes{}.byte('I').i32(1).byte('K').i16(0).s);
  decode_error(pg_bytes{}.byte('D').i32(1).byte('N').i16(0).s);
  decode_error(pg_bytes{}.byte('U').i32(1).byte('K').i16(0).byte('K').i16(0).s);
  decode_error(pg_bytes{}.byte('U').i32(1).byte('O').i16(0).s);
  // Strings must end in the message; replica identity must be one of d, n, f, i.
  decode_error(pg_bytes{}.byte('R').i32(1).raw("public").s);
  decode_error(pg_bytes{}.byte('R').i32(1).str("s").str("t").byte('x').i16(0).s);
}

TEST_CASE("pgoutput bytes captured from PostgreSQL 15 decode to the expected events",
          "[pg][pgoutput][change]") {
  // pg_logical_slot_peek_binary_changes(..., 'proto_version', '1', ...) after
  //   CREATE TABLE items(id int PRIMARY KEY, name text, at timestamptz, tags text[]);
  //   INSERT INTO items VALUES (1, 'Ada', '2024-01-15 10:00:00.123+00', '{"a b",NULL}');
  //   UPDATE items SET id = 2, name = NULL WHERE id = 1;   -- with TimeZone UTC
  auto begin =
    std::get<begin_msg>(decode_ok(from_hex("420000000001526fc00003049027b40761000002d6")));
  CHECK(format_lsn(begin.final_lsn) == "0/1526FC0");
  CHECK(begin.xid == 726);
  CHECK(unix_ms(begin.commit_time) == 1796126918043);
  auto rel = std::get<relation_msg>(decode_ok(from_hex(
    "52000040007075626c6963006974656d73006400040169640000000017ffffffff006e616d65000000"
    "0019ffffffff00617400000004a0ffffffff007461677300000003f1ffffffff")));
  CHECK(rel.name == "items");
  auto insert = std::get<change_msg>(decode_ok(from_hex(
    "49000040004e00047400000001317400000003416461740000001a323032342d30312d31352031303a30"
    "303a30302e3132332b3030740000000c7b22612062222c4e554c4c7d")));
  auto commit = std::get<commit_msg>(
    decode_ok(from_hex("43000000000001526fc00000000001526ff00003049027b40761")));
  CHECK(format_lsn(commit.commit_lsn) == "0/1526FC0");
  CHECK(format_lsn(commit.end_lsn) == "0/1526FF0");
  auto update = std::get<change_msg>(decode_ok(from_hex(
    "55000040004b00047400000001316e6e6e4e00047400000001326e740000001a323032342d30312d3135"
    "2031303a30303a30302e3132332b3030740000000c7b22612062222c4e554c4c7d")));
  std::string out, error;
  REQUIRE(change_data_json(rel, insert, out, error));
  CHECK(out == R"({"operation":"INSERT","table":"items","record":{"id":1,"name":"Ada",)"
               R"("at":"2024-01-15T10:00:00.123Z","tags":["a b",null]}})");
  REQUIRE(change_data_json(rel, update, out, error));
  CHECK(out == R"({"operation":"UPDATE","table":"items","record":{"id":2,"name":null,)"
               R"("at":"2024-01-15T10:00:00.123Z","tags":["a b",null]},"oldRecord":{"id":1},)"
               R"("changedColumns":["id","name","at","tags"]})");
}
