#pragma once
// The invariants every dialect's decode shares (fuzz_fabric, fuzz_gateway, fuzz_snackbase): a
// refusal always carries a code and a message, an accepted command is complete, and every
// frame the codec answers with is a JSON object that carries the client's text back intact.
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fuzz_check.hpp"
#include "schema/dialects/registry.hpp"
#include "schema/event.hpp"
#include "schema/filter.hpp"
#include "schema/json_text.hpp"

namespace sy::fuzz {

/// `frame` parses as a JSON object.
inline boost::json::object parsed_frame(const std::string& frame) {
  boost::system::error_code ec;
  auto v = boost::json::parse(frame, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(v.is_object());
  return v.get_object();
}

/// The string member `key` of `o` equals `text` (an absent member counts as "").
inline bool member_is(const boost::json::object& o, std::string_view key, std::string_view text) {
  auto* v = o.if_contains(key);
  if (!v)
    return text.empty();
  return v->is_string() && std::string_view(v->get_string()) == text;
}

/// `topic_key` names the member that carries the client's topic in the dialect's frames.
inline void check_error_reply(const dialect_codec& codec, std::string_view topic_key,
                              std::string_view code, std::string_view message,
                              std::string_view topic) {
  auto r = codec.error(code, message, topic);
  if (r.close_code != 0) {
    FUZZ_CHECK(r.close_code >= 1000 && r.close_code < 5000);
    FUZZ_CHECK(r.close_reason.size() <= 123); // a close frame's payload is at most 125 bytes
    return;
  }
  auto o = parsed_frame(r.frame);
  FUZZ_CHECK(member_is(o, "code", code));
  FUZZ_CHECK(member_is(o, "message", message));
  FUZZ_CHECK(member_is(o, topic_key, topic));
}

inline void check_filter(const event_filter& f) {
  auto k = key(f);
  FUZZ_CHECK(key(f) == k);
  // Without data, only a filter that never looks at data can match.
  metadata_index none;
  if (needs_data(f))
    FUZZ_CHECK(!matches(f, none, nullptr));
  for (const auto& p : f.predicates)
    FUZZ_CHECK(!p.segments.empty());
}

/// Decodes `text` with `codec` and checks the command and the frames that answer it.
inline client_command check_decode(const dialect_codec& codec, std::string_view topic_key,
                                   std::string_view text) {
  auto c = codec.decode(text);
  if (c.kind == op::invalid) {
    FUZZ_CHECK(!c.error_code.empty() && !c.error_message.empty());
    check_error_reply(codec, topic_key, c.error_code, c.error_message, {});
    return c;
  }
  FUZZ_CHECK(c.error_code.empty());
  switch (c.kind) {
    case op::subscribe:
    case op::unsubscribe:
      FUZZ_CHECK(!c.topics.empty());
      break;
    case op::refresh:
    case op::auth:
      FUZZ_CHECK(!c.token.empty());
      break;
    default:
      break;
  }
  if (c.filter)
    check_filter(*c.filter);
  for (const auto& topic : c.topics) {
    auto m = codec.map_topic(topic, "acme");
    if (m.channel.empty()) {
      FUZZ_CHECK(!m.error_code.empty());
      check_error_reply(codec, topic_key, m.error_code, m.error_message, topic);
      continue;
    }
    FUZZ_CHECK(m.error_code.empty());
    if (auto frame = codec.subscribed(topic, "1a-7", 3, true))
      FUZZ_CHECK(member_is(parsed_frame(*frame), topic_key, topic));
    FUZZ_CHECK(member_is(parsed_frame(codec.unsubscribed(topic)), topic_key, topic));
  }
  for (const auto& [topic, text_cursor] : c.since) {
    if (auto cur = parse_cursor(text_cursor)) {
      auto again = parse_cursor(format_cursor(*cur));
      FUZZ_CHECK(again && again->epoch == cur->epoch && again->seq == cur->seq);
    }
  }
  parsed_frame(codec.pong());
  return c;
}

inline bool same_command(const client_command& a, const client_command& b) {
  return a.kind == b.kind && a.topics == b.topics && a.since == b.since && a.token == b.token
         && a.error_code == b.error_code && !a.filter == !b.filter
         && (!a.filter || key(*a.filter) == key(*b.filter));
}

/// A command depends on the JSON value only, not on its spelling: the frame re-serialized by
/// Boost.JSON (other whitespace, escapes and number forms) decodes to the same command.
inline void check_respelled(const dialect_codec& codec, std::string_view text,
                            const client_command& c) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !finite_numbers(v)) // 1e400 parses as infinity, which serializes as non-JSON
    return;
  auto respelled = boost::json::serialize(v);
  // Boost.JSON 1.81 reads long numbers imprecisely (9200000000000102011818 and the shortest
  // text of the double it became read as neighbouring doubles): compare only where the
  // respelled text denotes the same value.
  if (boost::json::parse(respelled) != v)
    return;
  auto again = codec.decode(respelled);
  FUZZ_CHECK(same_command(c, again));
}

} // namespace sy::fuzz
