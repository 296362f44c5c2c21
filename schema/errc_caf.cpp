#include "schema/errc_caf.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

namespace sy {

caf::error make_error(errc e, std::string detail) {
  return caf::error(static_cast<std::uint8_t>(e), errc_category,
                    caf::make_message(std::move(detail)));
}

std::optional<errc> errc_of(const caf::error& err) {
  if (!err || err.category() != errc_category)
    return std::nullopt;
  auto code = err.code();
  if (code < 1 || code > errc_count())
    return std::nullopt;
  return static_cast<errc>(code);
}

std::string detail_of(const caf::error& err) {
  const auto& ctx = err.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return {};
}

void register_errc(caf::actor_system_config& cfg) {
  cfg.add_error_category(errc_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string out = "sy: ";
                           out += code >= 1 && code <= errc_count()
                                    ? std::string(info(static_cast<errc>(code)).wire)
                                    : "unknown(" + std::to_string(code) + ")";
                           if (ctx.match_elements<std::string>()
                               && !ctx.get_as<std::string>(0).empty())
                             out += " (" + ctx.get_as<std::string>(0) + ")";
                           return out;
                         });
}

} // namespace sy
