#include "ws_conformance.hpp"

#include <catch2/catch.hpp>

namespace sy::test::conformance {

namespace {

std::string describe(const raw::server_frame& f) {
  std::string s = "opcode " + std::to_string(f.opcode) + (f.fin ? " fin" : " no-fin") + ", "
                  + std::to_string(f.payload.size()) + " bytes";
  if (f.opcode == raw::op_close)
    s += ", code " + std::to_string(f.close_code()) + " '" + f.close_reason() + "'";
  else if (f.payload.size() <= 80)
    s += ": " + f.payload;
  return s;
}

} // namespace

std::vector<std::string> suite_args() {
  return {"--set", "realtime.max_frames_per_s=1000000"};
}

std::string padded_ping(std::size_t n) {
  auto s = ping_cmd;
  if (n > s.size())
    s.append(n - s.size(), ' ');
  return s;
}

std::string fragmented(std::string_view payload, std::size_t size) {
  std::string out;
  std::size_t pos = 0;
  do {
    auto piece = payload.substr(pos, size);
    bool fin = pos + size >= payload.size();
    out += pos == 0 ? raw::text(piece, fin) : raw::continuation(piece, fin);
    pos += size;
  } while (pos < payload.size());
  return out;
}

void open(raw::client& c, const daemon_process& d) {
  bool ok = c.connect(d.port(), "/realtime?token=" + token_for("conformance"));
  INFO("upgrade: " << c.last_error());
  REQUIRE(ok);
}

void check_server_framing(const raw::server_frame& f) {
  INFO("server frame: " << describe(f));
  CHECK(f.fin);
  CHECK(f.rsv == 0);
  CHECK_FALSE(f.masked);
  CHECK(f.minimal_length);
}

void expect_text(raw::client& c, const std::string& expected, std::chrono::milliseconds timeout) {
  auto f = c.read_frame(timeout);
  INFO("waiting for text " << expected.substr(0, 80) << ": " << c.last_error());
  REQUIRE(f.has_value());
  INFO("got " << describe(*f));
  CHECK(f->opcode == raw::op_text);
  CHECK(f->payload == expected);
  check_server_framing(*f);
}

void expect_pong(raw::client& c, std::string_view payload) {
  auto f = c.read_frame();
  INFO("waiting for a pong of " << payload.size() << " bytes: " << c.last_error());
  REQUIRE(f.has_value());
  INFO("got " << describe(*f));
  CHECK(f->opcode == raw::op_pong);
  CHECK(f->payload == payload);
  check_server_framing(*f);
}

void expect_quiet(raw::client& c, std::chrono::milliseconds quiet) {
  auto f = c.read_frame(quiet);
  INFO("unexpected: " << (f ? describe(*f) : c.last_error()));
  CHECK_FALSE(f.has_value());
  CHECK_FALSE(c.ended());
}

close_result read_close(raw::client& c, bool answer) {
  close_result r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = c.read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now()));
    if (!f)
      break;
    if (f->opcode != raw::op_close) {
      r.before.push_back(std::move(*f));
      continue;
    }
    check_server_framing(*f);
    r.code = f->close_code();
    r.reason = f->close_reason();
    break;
  }
  if (r.code < 0)
    return r;
  if (!answer) {
    c.close_socket();
    return r;
  }
  c.send(r.code > 0 ? raw::close(static_cast<std::uint16_t>(r.code)) : raw::close_payload(""));
  while (c.read_frame(std::chrono::seconds(3)))
    ++r.after;
  r.eof = c.ended();
  return r;
}

close_result expect_close(raw::client& c, int code, bool answer) {
  auto r = read_close(c, answer);
  INFO("close " << r.code << " '" << r.reason << "', " << r.before.size() << " frames before, "
                << r.after << " after; client: " << c.last_error());
  for (const auto& f : r.before)
    UNSCOPED_INFO("before the close: " << describe(f));
  CHECK(r.code == code);
  CHECK(r.before.empty());
  CHECK(r.after == 0);
  if (answer)
    CHECK(r.eof);
  return r;
}

} // namespace sy::test::conformance
