// The store's faults against the real daemon: a full disk (a real, small tmpfs the daemon alone
// sees), a corrupt store, a channel that retires and comes back.
#include "fixture.hpp"
#include "durable_support.hpp"
#include "tmpfs_support.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

using namespace sy::test;

namespace {

namespace fs = std::filesystem;

struct post_result {
  int status = 0;
  std::string code;
  std::int64_t seq = -1;
};

post_result post(http_client& h, const std::string& channel, const std::string& body) {
  auto auth = api_key_auth();
  auth.emplace_back("Content-Type", "application/json");
  auto res = h.request("POST", "/v1/channels/" + channel + "/events", body, auth);
  post_result r{res.status, {}, -1};
  if (res.status == 201 || res.status == 200) {
    auto v = parse_json(res.body);
    if (v.is_object())
      r.seq = field_i(v.as_object(), "seq");
  } else {
    r.code = error_code_of(res.body);
  }
  return r;
}

std::string body_with(const std::string& tag, std::size_t pad) {
  return R"({"data":{"tag":")" + tag + R"(","pad":")" + std::string(pad, 'p') + R"("}})";
}

std::string tag_of(const json::object& e) {
  auto& d = e.at("data");
  return d.is_object() && d.as_object().contains("tag")
           ? std::string(d.as_object().at("tag").as_string())
           : std::string();
}

} // namespace

TEST_CASE("a full disk refuses publishes with 507 and publishing resumes when space returns",
          "[integration][durable][faults]") {
  temp_data_dir mnt;
  REQUIRE(!mnt.path.empty());
  private_tmpfs tmpfs(mnt.path, 16);
  if (!tmpfs_or_skip(tmpfs))
    return;
  const std::string topic = "durable.full";
  // The resume below replays every event stored before the disk filled up: about 1 MiB of
  // them, so the outbound queue gets room for it.
  const auto args = std::vector<std::string>{"--set", "storage.engine=rocksdb", "--set",
                                             "storage.dir=" + mnt.path + "/store", "--set",
                                             "realtime.outbound_queue_bytes=8388608"};
  std::set<std::string> acked;   // tags answered 201
  std::set<std::string> refused; // tags answered 507
  std::int64_t last_seq = 0;
  auto track = [&](const post_result& r, const std::string& tag) {
    if (r.status == 201) {
      CHECK(r.seq == last_seq + 1); // refused publishes leave no hole
      last_seq = r.seq;
      acked.insert(tag);
    } else {
      INFO("publish " << tag << " -> " << r.status << " " << r.code);
      REQUIRE(r.status == 507);
      CHECK(r.code == "insufficient_storage");
      refused.insert(tag);
    }
  };
  {
    daemon_process d(args, {}, tmpfs.first_wrapper());
    tmpfs.hold(d.pid());
    http_client h(d.port());
    for (int i = 0; i < 5; ++i) {
      auto tag = "before" + std::to_string(i);
      track(post(h, topic, body_with(tag, 100)), tag);
    }
    REQUIRE(last_seq == 5);
    auto first_id = field_s(read_all(h, topic).front(), "id");

    auto ballast = tmpfs.seen_by(d.pid()) + "/ballast";
    auto filled = fill(ballast, 64ull << 20);
    INFO("ballast: " << filled << " bytes");

    // Full: publishes are refused once the zeros the WAL wrote ahead (up to 1 MiB,
    // DURABILITY.md *Disk full*) are used up. Counted from the first refusal: at least 8 of
    // the 10 from there.
    int refusals = 0, since_first = 0;
    for (int i = 0; i < 400 && since_first < 10; ++i) {
      auto tag = "full" + std::to_string(i);
      auto r = post(h, topic, body_with(tag, 8000));
      track(r, tag);
      since_first += refusals > 0 || r.status == 507 ? 1 : 0;
      refusals += r.status == 507;
    }
    REQUIRE(since_first == 10);
    CHECK(refusals >= 8);
    // The operator's log says so, with the channel (README.md *Logs*).
    {
      INFO(d.log());
      CHECK(d.log().find("[error] store error: publishes refused channel=" + topic)
            != std::string::npos);
    }
    // Reads and subscriptions keep working.
    auto events = read_all(h, topic);
    CHECK(static_cast<std::int64_t>(events.size()) == last_seq);
    for (auto& e : events)
      CHECK(refused.count(tag_of(e)) == 0);
    auto c = connect_fabric(d, "full-reader");
    auto conf = subscribe(c, {topic}, R"("since":{")" + topic + R"(":")" + first_id + R"("})")[topic];
    CHECK(field_b(conf, "recovered") == true);
    for (std::int64_t seq = 2; seq <= last_seq; ++seq)
      CHECK(field_i(next_event(c), "seq") == seq);
    auto seq_at_subscribe = last_seq;

    // Space returns: publishing resumes without a restart (bounded poll).
    REQUIRE(::unlink(ballast.c_str()) == 0);
    bool resumed = false;
    for (int i = 0; i < 100 && !resumed; ++i) {
      auto tag = "after" + std::to_string(i);
      auto r = post(h, topic, body_with(tag, 8000));
      track(r, tag);
      resumed = r.status == 201;
      if (!resumed)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(resumed);
    for (int i = 0; i < 5; ++i) {
      auto tag = "more" + std::to_string(i);
      track(post(h, topic, body_with(tag, 100)), tag);
    }
    // The subscriber hears the new events live, in order, without the refused ones.
    for (auto seq = seq_at_subscribe + 1; seq <= last_seq; ++seq)
      CHECK(field_i(next_event(c), "seq") == seq);
    events = read_all(h, topic);
    REQUIRE(static_cast<std::int64_t>(events.size()) == last_seq);
    for (std::size_t i = 0; i < events.size(); ++i)
      CHECK(field_i(events[i], "seq") == static_cast<std::int64_t>(i + 1));
    d.terminate(SIGTERM);
    REQUIRE(d.wait_exit(std::chrono::seconds(10)).has_value());
  }
  // A restart on the same store, in the same namespace (the tmpfs lives while it is held).
  daemon_process again(args, {}, tmpfs.join_wrapper());
  http_client h(again.port());
  auto events = read_all(h, topic);
  REQUIRE(static_cast<std::int64_t>(events.size()) == last_seq);
  std::set<std::string> stored;
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(field_i(events[i], "seq") == static_cast<std::int64_t>(i + 1));
    stored.insert(tag_of(events[i]));
  }
  CHECK(stored == acked);
  for (auto& t : refused)
    CHECK(stored.count(t) == 0);
  track(post(h, topic, body_with("restarted", 10)), "restarted");
  CHECK(last_seq == static_cast<std::int64_t>(events.size()) + 1);
}

TEST_CASE("a channel that retires and comes back keeps its epoch, history and keys",
          "[integration][durable]") {
  // channel.idle_ms small: a REST-only channel retires within a few idle periods. The memory
  // engine shows that it did (a new incarnation: the old cursor is not recovered).
  const std::vector<std::string> idle{"--set", "channel.idle_ms=200", "--set",
                                      "channel.empty_idle_ms=100"};
  auto publish_three = [](http_client& h, const std::string& topic) {
    std::vector<std::string> ids;
    for (int i = 1; i <= 3; ++i)
      ids.push_back(field_s(publish(h, topic,
                                    R"({"data":{"i":)" + std::to_string(i)
                                      + R"(},"idempotencyKey":"r)" + std::to_string(i) + R"("})"),
                            "id"));
    return ids;
  };
  const auto wait_retired = std::chrono::milliseconds(1000);
  {
    auto args = idle;
    args.insert(args.end(), {"--set", "storage.engine=memory"});
    daemon_process d(args);
    http_client h(d.port());
    auto ids = publish_three(h, "retire.memory");
    std::this_thread::sleep_for(wait_retired);
    auto c = connect_fabric(d, "retire-memory");
    auto [conf, replay] = resume(c, "retire.memory", ids[0]);
    REQUIRE(field_b(conf, "recovered", true) == false); // it did retire
  }
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  daemon_process d(durable_args(dir, idle));
  http_client h(d.port());
  auto ids = publish_three(h, "retire.stored");
  std::this_thread::sleep_for(wait_retired);
  auto c = connect_fabric(d, "retire-stored");
  auto [conf, replay] = resume(c, "retire.stored", ids[0]);
  CHECK(field_b(conf, "recovered", false) == true);
  CHECK(replay == std::vector<std::int64_t>{2, 3});
  auto dup = publish(h, "retire.stored", R"({"data":{"i":2},"idempotencyKey":"r2"})", 200);
  CHECK(field_b(dup, "duplicate") == true);
  CHECK(field_s(dup, "id") == ids[1]);
  CHECK(field_i(publish(h, "retire.stored", R"({"data":{"i":4}})"), "seq") == 4);
  CHECK(field_i(next_event(c), "seq") == 4); // live; the duplicate was not delivered
}

namespace {

// Overwrites `n` bytes of `path` at `offset` (from the end when negative).
void scribble(const fs::path& path, std::int64_t offset, std::size_t n) {
  auto size = static_cast<std::int64_t>(fs::file_size(path));
  auto at = offset < 0 ? size + offset : offset;
  REQUIRE(at >= 0);
  REQUIRE(at + static_cast<std::int64_t>(n) <= size);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(at);
  std::string junk(n, '\xA5');
  f.write(junk.data(), static_cast<std::streamsize>(n));
  REQUIRE(f.good());
}

fs::path first_file(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  for (auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && name.size() >= suffix.size()
        && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return e.path();
  }
  return {};
}

// serve and check-config on `dir` both exit 2 and name `file`.
void refused_naming(const temp_data_dir& dir, const std::string& file) {
  for (const char* cmd : {"check-config", "serve"}) {
    std::vector<std::string> args{cmd};
    if (std::string(cmd) == "serve")
      args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    for (auto& a : durable_args(dir))
      args.push_back(a);
    auto r = run_switchyard(args);
    INFO(cmd << " exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(file) != std::string::npos);
    CHECK(r.out.find("listening") == std::string::npos);
  }
}

} // namespace

TEST_CASE("a corrupt store stops serve and check-config with exit 2 naming the file",
          "[integration][durable][faults]") {
  temp_data_dir dir;
  REQUIRE(!dir.path.empty());
  // Two runs: the second one's recovery writes the first one's log into a table file (.sst).
  for (int run = 0; run < 2; ++run) {
    daemon_process d(durable_args(dir));
    http_client h(d.port());
    for (int i = 0; i < 20; ++i)
      publish(h, "durable.corrupt", R"({"data":{"run":)" + std::to_string(run) + "}}");
    d.terminate(SIGTERM);
    REQUIRE(d.wait_exit(std::chrono::seconds(10)).has_value());
  }
  SECTION("CURRENT") {
    { std::ofstream(dir.store() + "/CURRENT", std::ios::trunc) << "garbage"; }
    refused_naming(dir, "CURRENT");
  }
  SECTION("MANIFEST") {
    auto manifest = first_file(dir.store(), "MANIFEST-", "");
    REQUIRE(!manifest.empty());
    scribble(manifest, 10, 64);
    refused_naming(dir, manifest.filename().string());
  }
  SECTION("a table file") {
    auto sst = first_file(dir.store(), "", ".sst");
    REQUIRE(!sst.empty());
    scribble(sst, -8, 8); // the footer's magic number
    refused_naming(dir, sst.filename().string());
  }
}
