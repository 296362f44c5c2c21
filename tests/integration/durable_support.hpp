#pragma once
// Helpers of the storage.engine = rocksdb tests: a data directory of the test's own (so a
// restart can reopen it) and whole-history reads.
#include "fixture.hpp"

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <string>
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

} // namespace sy::test
