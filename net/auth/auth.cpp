#include "net/auth/auth.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "net/auth/jwt.hpp"
#include "schema/audit_channels.hpp"
#include "schema/event.hpp"
#include "schema/workspace.hpp"

namespace sy {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

// Builds the keyset. Key texts name the key by index/kid/file, never by its material.
jwt_keyset load_keys(const config& cfg, std::string& error) {
  jwt_keyset keys;
  auto note = [&error](std::string e) {
    if (error.empty())
      error = std::move(e);
  };
  // The single shared secret of the first API stays the kid-less HS256 key.
  if (auto e = keys.add_secret("", jwt_alg::hs256, cfg.jwt_secret); !e.empty())
    note("auth.jwt_secret: " + e);
  for (std::size_t i = 0; i < cfg.auth_keys.size(); ++i) {
    const auto& k = cfg.auth_keys[i];
    auto where = "auth.keys[" + std::to_string(i) + "]";
    auto alg = parse_jwt_alg(k.alg);
    if (!alg) {
      note(where + ": unsupported alg");
      continue;
    }
    std::string e;
    if (!k.secret.empty()) {
      e = keys.add_secret(k.kid, *alg, k.secret);
    } else if (!k.pem.empty()) {
      e = keys.add_pem(k.kid, *alg, k.pem);
    } else if (!k.pem_file.empty()) {
      std::string pem;
      e = read_file(k.pem_file, pem) ? keys.add_pem(k.kid, *alg, pem)
                                     : "cannot read " + k.pem_file;
    } else {
      e = "no key material";
    }
    if (!e.empty())
      note(where + ": " + e);
  }
  if (!cfg.jwks_file.empty()) {
    std::string text;
    if (!read_file(cfg.jwks_file, text))
      note("auth.jwks_file: cannot read " + cfg.jwks_file);
    else if (auto e = keys.add_jwks(text); !e.empty())
      note("auth.jwks_file " + cfg.jwks_file + ": " + e);
  }
  return keys;
}

class jwt_authenticator final : public authenticator {
public:
  jwt_authenticator(const config& cfg, jwt_keyset keys)
    : keys_(std::move(keys)), api_key_(cfg.api_key) {
    policy_.issuer = cfg.auth_issuer;
    policy_.audience = cfg.auth_audience;
    policy_.leeway_s = cfg.auth_leeway_s;
  }

  auth_result verify_token(std::string_view token) const override {
    auth_result r;
    if (token.empty()) {
      r.error = "missing token";
      return r;
    }
    auto v = verify_jwt(token, keys_, policy_, wall_clock_ms() / 1000);
    if (!v.ok) {
      r.error = v.error;
      r.expired = v.code == jwt_error::expired;
      return r;
    }
    r.ok = true;
    r.who = principal_from_claims(std::move(v.claims));
    return r;
  }

  auth_result verify_credential(std::string_view credential) const override {
    if (!credential.empty() && credential.size() == api_key_.size()
        && CRYPTO_memcmp(credential.data(), api_key_.data(), api_key_.size()) == 0) {
      auth_result r;
      r.ok = true;
      r.who.sub = "api-key";
      r.who.api_key = true;
      return r;
    }
    if (credential.empty()) {
      auth_result r;
      r.error = "missing credential: send Authorization: Bearer <api key or token>";
      return r;
    }
    // Not the key: it must be a token. Don't tell a caller which of the two it got wrong.
    auto r = verify_token(credential);
    if (!r.ok)
      r.error = "invalid credential (" + r.error + ")";
    return r;
  }

private:
  jwt_keyset keys_;
  jwt_policy policy_;
  std::string api_key_;
};

// A token with a `workspaces` claim is a workspace token: its `channels` and `publish`
// patterns name channels inside those workspaces, so they grant nothing outside them.
bool workspace_token(const principal& p) {
  return !p.workspaces.empty();
}

// Claim first, then the namespace default, then the global one (see the header), for a channel
// outside every workspace.
bool decide(const principal& p, const std::optional<std::vector<std::string>>& claim,
            const std::string& ns_default, std::string_view channel, bool global_default) {
  if (p.api_key || p.admin)
    return true;
  if (claim && !workspace_token(p))
    for (const auto& pat : *claim)
      if (pattern_matches(pat, channel))
        return true;
  if (ns_default == "allow")
    return true;
  if (ns_default == "deny")
    return false;
  if (claim)
    return false;
  return global_default;
}

} // namespace

std::unique_ptr<authenticator> make_authenticator(const config& cfg, std::string* error) {
  std::string err;
  auto keys = load_keys(cfg, err);
  if (error)
    *error = err;
  return std::make_unique<jwt_authenticator>(cfg, std::move(keys));
}

std::string auth_config_error(const config& cfg) {
  std::string err;
  load_keys(cfg, err);
  return err;
}

principal principal_from_claims(jwt_claims claims) {
  principal p;
  p.sub = std::move(claims.sub);
  p.admin = claims.admin;
  p.channels = std::move(claims.channels);
  p.publish = std::move(claims.publish);
  p.workspaces = std::move(claims.workspaces);
  p.exp = claims.exp;
  return p;
}

std::string_view bearer_value(std::string_view h) {
  constexpr std::string_view scheme = "bearer ";
  if (h.size() <= scheme.size())
    return {};
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(h[i])) != scheme[i])
      return {};
  auto v = h.substr(scheme.size());
  while (!v.empty() && v.front() == ' ')
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

bool pattern_matches(std::string_view pattern, std::string_view channel) {
  if (pattern == "*")
    return true;
  if (!pattern.empty() && pattern.back() == '*') {
    auto prefix = pattern.substr(0, pattern.size() - 1);
    return channel.substr(0, prefix.size()) == prefix;
  }
  return pattern == channel;
}

// Workspace channels ("ws.<id>.<local>", schema/workspace.hpp) are isolated also in
// development mode. Subscribe: the workspace in `workspaces`, or, for a token without
// workspaces, a `channels` pattern naming the full channel ("ws.acme.*"). Publish: a workspace
// token needs the workspace and a `publish` pattern naming the channel inside it ("events:*")
// or its full name; any other token a `publish` pattern naming the full channel.
static bool any_match(const std::optional<std::vector<std::string>>& claim, std::string_view name) {
  if (claim)
    for (const auto& pat : *claim)
      if (pattern_matches(pat, name))
        return true;
  return false;
}

// The audit detail (log.audit, console.realtime.*) is for admins: no claim and no namespace
// default opens it (schema/audit_channels.hpp).
bool may_subscribe(const principal& p, std::string_view channel, const config& cfg) {
  if (p.api_key || p.admin)
    return true;
  if (admin_only_channel(channel))
    return false;
  if (auto ws = split_workspace_channel(channel))
    return workspace_token(p) ? may_use_workspace(p, ws->workspace)
                              : any_match(p.channels, channel);
  return decide(p, p.channels, cfg.namespace_for(channel).subscribe_default, channel,
                cfg.auth_development);
}

// Publishing has always needed a grant (admin, a "publish" claim or the API key), also in
// development: a subscriber token must not turn into a publisher by default. A namespace
// opens publishing with publish_default "allow". The router's own channels take no publish
// from anyone, the API key included: a client could forge audit records.
bool may_publish(const principal& p, std::string_view channel, const config& cfg) {
  if (router_only_channel(channel))
    return false;
  if (p.api_key || p.admin)
    return true;
  if (auto ws = split_workspace_channel(channel))
    return workspace_token(p)
             ? may_use_workspace(p, ws->workspace)
                 && (any_match(p.publish, ws->local) || any_match(p.publish, channel))
             : any_match(p.publish, channel);
  return decide(p, p.publish, cfg.namespace_for(channel).publish_default, channel, false);
}

bool may_use_workspace(const principal& p, std::string_view workspace_id) {
  if (p.api_key || p.admin)
    return true;
  for (const auto& w : p.workspaces)
    if (w == workspace_id)
      return true;
  return false;
}

} // namespace sy
