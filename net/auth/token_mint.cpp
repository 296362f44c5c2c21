#include "net/auth/token_mint.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "net/auth/jwt.hpp"
#include "schema/event.hpp"

namespace sy {

namespace {

boost::json::array string_array(const std::vector<std::string>& items) {
  boost::json::array a;
  for (const auto& s : items)
    a.emplace_back(s);
  return a;
}

} // namespace

minted_token mint_token(const token_grant& grant, std::int64_t ttl_s, std::string_view secret) {
  const std::int64_t now = wall_clock_ms() / 1000;
  boost::json::object claims{{"sub", grant.sub}, {"iat", now}};
  if (grant.channels)
    claims["channels"] = string_array(*grant.channels);
  if (grant.publish)
    claims["publish"] = string_array(*grant.publish);
  if (grant.workspaces)
    claims["workspaces"] = string_array(*grant.workspaces);
  if (grant.admin)
    claims["admin"] = true;
  claims["exp"] = now + ttl_s;
  // The verifier checks iss/aud when configured: a token meant for it carries them.
  if (!grant.issuer.empty())
    claims["iss"] = grant.issuer;
  if (!grant.audience.empty())
    claims["aud"] = grant.audience;
  return {sign_hs256(boost::json::serialize(claims), secret), now + ttl_s};
}

} // namespace sy
