// The three dialects behind the one dialect_codec interface the session talks to.
#include "schema/dialect.hpp"

#include "schema/codes.hpp"
#include "schema/dialect_fabric.hpp"
#include "schema/dialect_gateway.hpp"
#include "schema/dialect_snackbase.hpp"
#include "schema/workspace.hpp"

namespace sy {

namespace {

topic_mapping refused(std::string_view code, std::string message) {
  topic_mapping m;
  m.error_code = std::string(code);
  m.error_message = std::move(message);
  return m;
}

class fabric_codec final : public dialect_codec {
public:
  dialect id() const override {
    return dialect::fabric;
  }
  client_command decode(std::string_view text) const override {
    return fabric::decode(text);
  }
  topic_mapping map_topic(std::string_view topic, std::string_view) const override {
    bool pattern = topic.find('*') != std::string_view::npos;
    if (pattern ? !valid_channel_pattern(topic) : !valid_channel_name(topic))
      return refused(error_code::invalid_topic,
                     "topic names are 1-200 characters of [A-Za-z0-9._:-]; wildcards are "
                     "\"prefix*\" or \"*\"");
    return {std::string(topic), {}, {}};
  }
  std::optional<std::string> subscribed(std::string_view topic, std::string_view cursor,
                                        std::size_t replay,
                                        std::optional<bool> recovered) const override {
    return fabric::encode_subscribed(topic, cursor, replay, recovered);
  }
  std::string unsubscribed(std::string_view topic) const override {
    return fabric::encode_unsubscribed(topic);
  }
  dialect_reply error(std::string_view code, std::string_view message,
                      std::string_view topic) const override {
    return {fabric::encode_error(code, message, topic), 0, {}};
  }
  std::string pong() const override {
    return fabric::encode_pong();
  }
  std::optional<std::string> heartbeat(std::int64_t wall_ms) const override {
    return fabric::encode_heartbeat(wall_ms);
  }
  std::optional<std::string> refreshed(std::optional<std::int64_t> exp_s) const override {
    return fabric::encode_refreshed(exp_s);
  }
  frame_ptr snapshot(const encoded_event& e) const override {
    return make_frame(fabric::encode_snapshot(e));
  }
  bool first_message_auth() const override {
    return false;
  }
};

class gateway_codec final : public dialect_codec {
public:
  dialect id() const override {
    return dialect::gateway;
  }
  client_command decode(std::string_view text) const override {
    return gateway::decode(text);
  }
  topic_mapping map_topic(std::string_view topic, std::string_view workspace) const override {
    if (!gateway::valid_channel(topic, true))
      return refused(error_code::channel_unavailable,
                     "channels are postgres:*, postgres:{table}, mongo:*, mongo:{collection}, "
                     "events:* and events:{topic}");
    return {workspace_channel(workspace, topic), {}, {}};
  }
  std::optional<std::string> subscribed(std::string_view topic, std::string_view,
                                        std::size_t,
                                        std::optional<bool>) const override {
    return gateway::encode_subscribed(topic);
  }
  std::string unsubscribed(std::string_view topic) const override {
    return gateway::encode_unsubscribed(topic);
  }
  dialect_reply error(std::string_view code, std::string_view message,
                      std::string_view topic) const override {
    if (auto close = gateway::close_code_for(code))
      return {{}, close, std::string(code == error_code::invalid_topic
                                       ? error_code::channel_unavailable
                                       : code)};
    return {gateway::encode_error(code, message, topic), 0, {}};
  }
  std::string pong() const override {
    return gateway::encode_pong();
  }
  std::optional<std::string> heartbeat(std::int64_t) const override {
    return std::nullopt;
  }
  std::optional<std::string> refreshed(std::optional<std::int64_t>) const override {
    return std::nullopt; // a renewed {"type":"auth"} is silent; failure closes
  }
  frame_ptr snapshot(const encoded_event& e) const override {
    return e.frame(dialect::gateway);
  }
  bool first_message_auth() const override {
    return true;
  }
};

class snackbase_codec final : public dialect_codec {
public:
  dialect id() const override {
    return dialect::snackbase;
  }
  client_command decode(std::string_view text) const override {
    return snackbase::decode(text);
  }
  topic_mapping map_topic(std::string_view topic, std::string_view workspace) const override {
    if (!snackbase::valid_collection(topic))
      return refused(error_code::invalid_topic,
                     "collection names are 1-128 characters of [A-Za-z0-9_-]");
    return {workspace_channel(workspace, "postgres:" + std::string(topic)), {}, {}};
  }
  std::optional<std::string> subscribed(std::string_view topic, std::string_view,
                                        std::size_t, std::optional<bool>) const override {
    return snackbase::encode_subscribed(topic);
  }
  std::string unsubscribed(std::string_view topic) const override {
    return snackbase::encode_unsubscribed(topic);
  }
  dialect_reply error(std::string_view code, std::string_view message,
                      std::string_view topic) const override {
    return {snackbase::encode_error(code, message, topic), 0, {}};
  }
  std::string pong() const override {
    return snackbase::encode_pong();
  }
  std::optional<std::string> heartbeat(std::int64_t wall_ms) const override {
    return snackbase::encode_heartbeat(wall_ms);
  }
  std::optional<std::string> refreshed(std::optional<std::int64_t>) const override {
    return std::nullopt;
  }
  frame_ptr snapshot(const encoded_event& e) const override {
    return e.frame(dialect::snackbase);
  }
  bool first_message_auth() const override {
    return false;
  }
};

} // namespace

const dialect_codec& codec_for(dialect d) {
  static const fabric_codec fabric_c;
  static const gateway_codec gateway_c;
  static const snackbase_codec snackbase_c;
  switch (d) {
    case dialect::gateway:
      return gateway_c;
    case dialect::snackbase:
      return snackbase_c;
    case dialect::fabric:
      break;
  }
  return fabric_c;
}

const char* dialect_name(dialect d) {
  switch (d) {
    case dialect::gateway:
      return "gateway";
    case dialect::snackbase:
      return "snackbase";
    case dialect::fabric:
      break;
  }
  return "fabric";
}

} // namespace sy
