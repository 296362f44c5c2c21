// Rooms with storage.engine = rocksdb against the real daemon: version, state and metadata
// survive kill -9 and a restart on the same data directory (presence does not), and a disk
// that cannot take the write refuses the change with 507 without moving the version.
#include "fixture.hpp"
#include "durable_support.hpp"
#include "rooms_support.hpp"
#include "tmpfs_support.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace sy::test;

namespace {

http_response patch_state(http_client& h, const std::string& room, const std::string& patch,
                          std::int64_t version) {
  return h.request("PATCH", "/v1/rooms/" + room + "/state",
                   R"({"patch":)" + patch + R"(,"version":)" + std::to_string(version) + "}",
                   api_key_auth());
}

json::object read_room(http_client& h, const std::string& room) {
  auto res = h.request("GET", "/v1/rooms/" + room, "", api_key_auth());
  INFO("GET: " << res.status << " " << res.body);
  REQUIRE(res.status == 200);
  return parse_json(res.body).as_object();
}

} // namespace

TEST_CASE("a room's version state and metadata survive kill -9 and a restart on the same data dir",
          "[integration][rooms][durable]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  {
    daemon_process d(durable_args(dir));
    http_client h(d.port());
    auto a = connect_member(d, "alice");
    join(a, "plan");
    // Version 1 from a member, 2 and 3 from REST, then the metadata.
    REQUIRE(a.send_text(R"({"op":"state","room":"plan","patch":{"title":"Q4"},"version":0})"));
    CHECK(field_i(next_op(a, "state"), "version") == 1);
    CHECK(patch_state(h, "plan", R"({"cols":3})", 1).status == 200);
    CHECK(patch_state(h, "plan", R"({"rows":{"a":1}})", 2).status == 200);
    auto put = h.request("PUT", "/v1/rooms/plan/metadata", R"({"owner":"ops"})", api_key_auth());
    CHECK(put.status == 200);
    // Each answer came after the write: the member heard all of them, so all are on disk.
    CHECK(field_i(next_op(a, "state"), "version") == 2);
    CHECK(field_i(next_op(a, "state"), "version") == 3);
    CHECK(field_s(next_op(a, "metadata"), "op") == "metadata");
    d.terminate(SIGKILL);
    REQUIRE(d.wait_exit(10s).has_value());
  }
  daemon_process d(durable_args(dir));
  http_client h(d.port());
  auto room = read_room(h, "plan");
  CHECK(field_i(room, "version") == 3);
  CHECK(to_text(room.at("state")) == R"({"title":"Q4","cols":3,"rows":{"a":1}})");
  CHECK(to_text(room.at("metadata")) == R"({"owner":"ops"})");
  CHECK(room.at("members").as_array().empty()); // presence is not stored
  auto b = connect_member(d, "bob");
  auto jb = join(b, "plan");
  CHECK(field_i(jb, "version") == 3);
  CHECK(to_text(jb.at("state")) == R"({"title":"Q4","cols":3,"rows":{"a":1}})");
  CHECK(to_text(jb.at("metadata")) == R"({"owner":"ops"})");
  // Patches go on from the stored version; a stale one is a conflict at 3.
  REQUIRE(b.send_text(R"({"op":"state","room":"plan","patch":{"x":1},"version":0})"));
  auto conflict = next_op(b, "error");
  CHECK(field_s(conflict, "code") == "version_conflict");
  CHECK(field_i(conflict, "version") == 3);
  CHECK(patch_state(h, "plan", R"({"x":1})", 3).status == 200);
  CHECK(field_i(next_op(b, "state"), "version") == 4);
}

TEST_CASE("a full disk refuses a room patch with 507 and the version stays where it was",
          "[integration][rooms][durable][faults]") {
  temp_data_dir mnt;
  REQUIRE(!mnt.path.empty());
  private_tmpfs tmpfs(mnt.path, 16);
  if (!tmpfs_or_skip(tmpfs))
    return;
  const auto args = std::vector<std::string>{"--set", "storage.engine=rocksdb", "--set",
                                             "storage.dir=" + mnt.path + "/store"};
  const std::string pad(8000, 'p');
  auto big = [&](int i) { return R"({"i":)" + std::to_string(i) + R"(,"pad":")" + pad + "\"}"; };
  std::int64_t version = 0;
  {
    daemon_process d(args, {}, tmpfs.first_wrapper());
    tmpfs.hold(d.pid());
    http_client h(d.port());
    auto a = connect_member(d, "alice");
    join(a, "full");
    REQUIRE(patch_state(h, "full", big(1), 0).status == 200);
    version = 1;
    CHECK(field_i(next_op(a, "state"), "version") == 1);

    auto ballast = tmpfs.seen_by(d.pid()) + "/ballast";
    fill(ballast, 64ull << 20);
    // Full: patches are refused once the zeros the WAL wrote ahead (up to 1 MiB, DURABILITY.md
    // *Disk full*) are used up; each one accepted moved the version by one, and every member
    // heard exactly those. Counted from the first refusal: at least 8 of the 10 from there.
    int refusals = 0, since_first = 0;
    for (int i = 0; i < 400 && since_first < 10; ++i) {
      since_first += refusals > 0 ? 1 : 0;
      auto res = patch_state(h, "full", big(100 + i), version);
      INFO("PATCH at " << version << " -> " << res.status << " " << res.body);
      if (res.status == 200) {
        ++version;
        CHECK(field_i(next_op(a, "state"), "version") == version);
        continue;
      }
      REQUIRE(res.status == 507);
      CHECK(error_code_of(res.body) == "insufficient_storage");
      since_first += refusals == 0 ? 1 : 0;
      ++refusals;
    }
    REQUIRE(since_first == 10);
    CHECK(refusals >= 8);
    auto put = h.request("PUT", "/v1/rooms/full/metadata", R"({"k":")" + pad + "\"}",
                         api_key_auth());
    CHECK(put.status == 507);
    // A member's patch gets the error frame.
    REQUIRE(a.send_text(R"({"op":"state","room":"full","patch":)" + big(50) + R"(,"version":)"
                        + std::to_string(version) + "}"));
    auto err = next_op(a, "error");
    CHECK(field_s(err, "code") == "insufficient_storage");
    auto room = read_room(h, "full");
    CHECK(field_i(room, "version") == version);
    CHECK(to_text(room.at("metadata")) == "{}");
    expect_silence(a, 200ms);

    // Space returns: the next patch at the same version is accepted (bounded poll).
    REQUIRE(::unlink(ballast.c_str()) == 0);
    bool resumed = false;
    for (int i = 0; i < 100 && !resumed; ++i) {
      auto res = patch_state(h, "full", R"({"pad":null,"after":true})", version);
      resumed = res.status == 200;
      if (!resumed) {
        REQUIRE(res.status == 507);
        std::this_thread::sleep_for(50ms);
      }
    }
    REQUIRE(resumed);
    ++version;
    CHECK(field_i(next_op(a, "state"), "version") == version);
    d.terminate(SIGTERM);
    REQUIRE(d.wait_exit(10s).has_value());
  }
  daemon_process again(args, {}, tmpfs.join_wrapper());
  http_client h(again.port());
  auto room = read_room(h, "full");
  CHECK(field_i(room, "version") == version);
  CHECK(to_text(room.at("state")).find("\"after\":true") != std::string::npos);
}
