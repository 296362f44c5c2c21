#pragma once
// Helpers of the storage tests: a data directory of the test's own (so a restart can reopen it),
// history reads and resumes.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace sy::test {

// A fresh data directory for one test, removed when it ends.
struct temp_data_dir {
  std::string path;
  temp_data_dir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sy-durable-XXXXXX").string();
    if (::mkdtemp(tmpl.data()))
      path = tmpl;
  }
  ~temp_data_dir() {
    std::error_code ec;
    if (!path.empty())
      std::filesystem::remove_all(path, ec);
  }
  temp_data_dir(const temp_data_dir&) = delete;
  temp_data_dir& operator=(const temp_data_dir&) = delete;
  std::string store() const {
    return path + "/store";
  }
};

inline std::vector<std::string> durable_args(const temp_data_dir& dir,
                                             std::vector<std::string> more = {}) {
  std::vector<std::string> a{"--set", "storage.engine=rocksdb", "--set",
                             "storage.dir=" + dir.store()};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Every event of a channel's history, oldest first, read in pages (bounded).
inline std::vector<json::object> read_all(http_client& h, const std::string& channel) {
  std::vector<json::object> out;
  std::string cursor;
  for (int page = 0; page < 200; ++page) {
    auto target = "/v1/channels/" + channel + "/events?limit=1000"
                  + (cursor.empty() ? std::string() : "&cursor=" + cursor);
    auto res = h.request("GET", target, "", api_key_auth());
    REQUIRE(res.status == 200);
    auto v = parse_json(res.body);
    REQUIRE(v.is_object());
    auto& o = v.as_object();
    for (auto& e : o["events"].as_array())
      out.push_back(e.as_object());
    if (!field_b(o, "hasMore"))
      break;
    cursor = field_s(o, "nextCursor");
  }
  return out;
}

// One history page after `cursor` ("" for none).
inline json::object history_after(http_client& h, const std::string& channel, const std::string& cursor) {
  auto target = "/v1/channels/" + channel + "/events?limit=1000"
                + (cursor.empty() ? std::string() : "&cursor=" + cursor);
  auto res = h.request("GET", target, "", api_key_auth());
  INFO("GET " << target << " -> " << res.status << " " << res.body.substr(0, 400));
  REQUIRE(res.status == 200);
  auto v = parse_json(res.body);
  REQUIRE(v.is_object());
  return v.as_object();
}

inline std::vector<std::int64_t> seqs_of(const json::value& events) {
  std::vector<std::int64_t> out;
  for (auto& e : events.as_array())
    out.push_back(field_i(e.as_object(), "seq"));
  return out;
}

// A resume over the Fabric socket: the confirmation, then its replayed seqs.
inline std::pair<json::object, std::vector<std::int64_t>>
resume(ws_client& c, const std::string& topic, const std::string& since) {
  auto extra = since.empty() ? std::string()
                             : R"("since":{")" + topic + R"(":")" + since + R"("})";
  auto conf = subscribe(c, {topic}, extra)[topic];
  std::vector<std::int64_t> replay;
  for (std::int64_t i = 0; i < field_i(conf, "replay"); ++i)
    replay.push_back(field_i(next_event(c), "seq"));
  return {conf, replay};
}

} // namespace sy::test
