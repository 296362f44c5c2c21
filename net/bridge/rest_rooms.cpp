// REST routes of rooms (PROTOCOL.md "Rooms"): GET /v1/rooms/{R}, PUT /v1/rooms/{R}/metadata,
// PATCH /v1/rooms/{R}/state, and /v1/rooms/{R}/events, which is the channel room.R's publish
// and history route. The room actor completes each request through a room_completion that
// posts the reply; dropped unanswered, the replier behind it answers 503.
#include <boost/json.hpp>

#include "net/bridge/rest_impl.hpp"
#include "schema/json_text.hpp"
#include "schema/room.hpp"

namespace json = boost::json;

namespace sy {

namespace {

class room_replier final : public completion<room_result> {
public:
  explicit room_replier(replier_ptr reply) : reply_(std::move(reply)) {
  }
  void complete(const room_result& r) override {
    if (!r.error)
      return (*reply_)({200, r.json, "application/json"});
    auto out = error_reply(*r.error, r.error_message);
    if (*r.error == errc::version_conflict) { // the current version, as in the Fabric frame
      out.body.pop_back();
      out.body += ",\"version\":" + std::to_string(r.version) + "}";
    }
    (*reply_)(std::move(out));
  }
  void fail(errc code, std::string detail) override {
    (*reply_)(error_reply(code, detail));
  }

private:
  replier_ptr reply_;
};

} // namespace

void rest_api::impl::room_route(const http_request& req, const request_target& t,
                                const replier_ptr& reply) {
  const auto& s = t.segments; // v1 rooms R [sub]
  const std::string& room = s[2];
  if (!valid_room_name(room))
    return (*reply)(error_reply(errc::invalid_channel,
                                "room names are characters of [A-Za-z0-9._:-] (the channel is "
                                "room.<name>, at most 200 characters)"));
  const std::string channel = room_channel(room);
  if (!cfg->known_topic(channel))
    return (*reply)(error_reply(errc::channel_unavailable, "no namespace serves this room"));
  auto not_allowed = [&] {
    (*reply)(error_reply(errc::method_not_allowed, req.method + " is not allowed here"));
  };
  auto done = std::make_shared<room_replier>(reply);
  if (s.size() == 3) {
    if (req.method != "GET")
      return not_allowed();
    principal who;
    if (auto e = authenticate(req, who))
      return (*reply)(std::move(*e));
    // The members and state are what a member would see: the subscribe right.
    if (!may_subscribe(who, channel, *cfg))
      return (*reply)(deny(req, errc::forbidden, "token may not read this room", who.sub));
    return caf::anon_send(directory, roomread_atom::value, room_read{room, done});
  }
  const std::string& what = s[3];
  if (what == "events") {
    if (req.method == "POST")
      return channel_publish(req, channel, reply);
    if (req.method == "GET")
      return history(req, t, channel, reply);
    return not_allowed();
  }
  if (what == "metadata") {
    if (req.method != "PUT")
      return not_allowed();
    json::object body;
    if (auto e = admit_publish(req, channel, body))
      return (*reply)(std::move(*e));
    return caf::anon_send(directory, metadata_atom::value,
                          room_metadata{room, json::serialize(body), done});
  }
  if (what == "state") {
    if (req.method != "PATCH")
      return not_allowed();
    json::object body;
    if (auto e = admit_publish(req, channel, body))
      return (*reply)(std::move(*e));
    auto p = body.find("patch");
    if (p == body.end() || !p->value().is_object())
      return (*reply)(error_reply(errc::bad_request, "\"patch\" must be a JSON object"));
    auto v = body.find("version");
    if (v == body.end()
        || !(v->value().is_uint64() || (v->value().is_int64() && v->value().get_int64() >= 0)))
      return (*reply)(error_reply(errc::bad_request,
                                  "\"version\" must be the non-negative version the patch "
                                  "applies to"));
    room_patch rp;
    rp.room = room;
    rp.patch_json = json::serialize(p->value());
    rp.version = v->value().is_uint64() ? v->value().get_uint64()
                                        : static_cast<std::uint64_t>(v->value().get_int64());
    rp.done = done;
    return caf::anon_send(directory, patch_atom::value, std::move(rp));
  }
  auto path = req.target.substr(0, req.target.find('?'));
  (*reply)(error_reply(errc::not_found, "no route for " + req.method + " " + path));
}

} // namespace sy
