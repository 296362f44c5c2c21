#pragma once
// The stored event the gateway and SnackBase golden tests encode: a change on `channel` at
// 2024-01-15T10:00:00.000Z, cursor abc-7.
#include <string>
#include <utility>

#include "schema/event.hpp"

namespace sy::test {

inline event change_event(std::string channel, std::string data,
                          std::string correlation = "corr-abc-123") {
  event e;
  e.channel = std::move(channel);
  e.epoch = 0xabc;
  e.seq = 7;
  e.timestamp_ms = 1705312800000; // 2024-01-15T10:00:00.000Z
  e.type = "INSERT";
  e.data_json = std::move(data);
  e.metadata_json = "{}";
  e.correlation_id = std::move(correlation);
  return e;
}

} // namespace sy::test
