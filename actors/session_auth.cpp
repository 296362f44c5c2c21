// The session's grant: expiry, in-band refresh, the gateway's first-message auth.
#include "actors/session_state.hpp"

#include <algorithm>

#include "schema/codes.hpp"
#include "schema/dialects/registry.hpp"

namespace sy::session_impl {

// Closes the session with 4001 when the grant's exp (+ clock leeway) passes, unless a refresh
// replaced the grant first (its generation no longer matches).
//
// A pending delayed message costs memory for as long as it waits, and tokens often live for
// hours: the precise timer is armed only once the deadline falls within the next tick (the
// session's tick runs anyway); until then each tick looks again.
std::int64_t tick_period_ms(const config& cfg) {
  return std::max<std::int64_t>(std::min(cfg.heartbeat_ms, cfg.idle_timeout_ms / 4), 50);
}

void arm_expiry(session_ptr self) {
  auto& st = self->state;
  if (!st.auth || st.expiry_armed)
    return;
  auto exp = st.auth->expires_at_s();
  if (!exp)
    return;
  auto deadline_ms = (*exp + st.args.cfg->auth_leeway_s) * 1000;
  auto delay = std::max<std::int64_t>(deadline_ms - wall_clock_ms(), 0);
  if (delay > tick_period_ms(*st.args.cfg))
    return; // a later tick arms it
  st.expiry_armed = true;
  self->delayed_send(self, std::chrono::milliseconds(delay), expire_atom::value,
                     st.auth_generation);
}

void refresh(session_ptr self, const std::string& token) {
  auto& st = self->state;
  if (!st.auth) {
    refuse(self, error_code::unauthorized, "nothing to refresh");
    return;
  }
  std::string error;
  auto next = st.auth->refresh(token, error);
  if (next && !st.args.workspace.empty() && dialect_for(st.args.wire).refresh_checks_workspace
      && !next->may_use_workspace(st.args.workspace)) {
    next = nullptr;
    error = "the new token does not grant this workspace";
  }
  if (!next) {
    refuse(self, error_code::unauthorized, "refresh refused: " + error); // old grant stays
    return;
  }
  st.auth = std::move(next);
  st.auth_generation++;
  st.expiry_armed = false; // a timer of the old grant may be pending: its generation is stale
  arm_expiry(self);
  if (auto frame = st.codec->refreshed(st.auth->expires_at_s()))
    reply(self, text_out(std::move(*frame)));
}

// Gateway first-message auth ({"type":"auth","token":...}): until it succeeds the session may
// do nothing else. Expired -> 4001, any other refusal -> 4003.
void authenticate(session_ptr self, const std::string& token) {
  auto& st = self->state;
  auto out = st.args.verifier ? st.args.verifier->verify(token) : auth_outcome{};
  boost::json::object data{{"sessionId", st.id},
                           {"dialect", dialect_name(st.args.wire)},
                           {"remote", st.args.client.remote},
                           {"workspace", st.args.workspace},
                           {"via", "first-message"}};
  if (!out.grant) {
    data["reason"] = out.error.empty() ? std::string("no verifier") : out.error;
    audit(self, "auth.denied", data);
    if (out.expired)
      close_link(self, close_code::token_expired, "token_expired");
    else
      close_link(self, close_code::scope_denied, "unauthorized");
    return;
  }
  data["sub"] = out.grant->subject();
  if (!out.grant->may_use_workspace(st.args.workspace)) {
    data["reason"] = "workspace not granted";
    audit(self, "auth.denied", data);
    close_link(self, close_code::scope_denied, "scope_denied");
    return;
  }
  audit(self, "auth.granted", data);
  st.auth = std::move(out.grant);
  st.args.client.sub = st.auth->subject();
  st.authenticated = true;
  st.auth_generation++;
  arm_expiry(self);
  admit(self);
}

} // namespace sy::session_impl
