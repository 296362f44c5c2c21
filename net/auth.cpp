#include "net/auth.hpp"

#include <openssl/crypto.h>

#include "net/jwt.hpp"
#include "schema/event.hpp"

namespace sy {

namespace {

constexpr std::int64_t clock_leeway_s = 30;

class hs256_authenticator final : public authenticator {
public:
  explicit hs256_authenticator(const config& cfg)
    : secret_(cfg.jwt_secret), api_key_(cfg.api_key) {
  }

  auth_result verify_token(std::string_view token) const override {
    auth_result r;
    if (token.empty()) {
      r.error = "missing token";
      return r;
    }
    auto v = verify_hs256(token, secret_, wall_clock_ms() / 1000, clock_leeway_s);
    if (!v.ok) {
      r.error = v.error;
      return r;
    }
    r.ok = true;
    r.who.sub = std::move(v.claims.sub);
    r.who.admin = v.claims.admin;
    r.who.publish = std::move(v.claims.publish);
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
  std::string secret_;
  std::string api_key_;
};

} // namespace

std::unique_ptr<authenticator> make_authenticator(const config& cfg) {
  return std::make_unique<hs256_authenticator>(cfg);
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

bool may_publish(const principal& p, std::string_view channel) {
  if (p.api_key || p.admin)
    return true;
  for (const auto& pat : p.publish)
    if (pattern_matches(pat, channel))
      return true;
  return false;
}

} // namespace sy
