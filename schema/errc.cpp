#include "schema/errc.hpp"

#include <array>

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>

#include "schema/codes.hpp"

namespace sy {

namespace {

// In enum order: row i describes errc value i + 1.
constexpr std::array<errc_info, 20> table{{
  {errc::bad_json, "bad_json", 400, 0},
  {errc::bad_request, "bad_request", 400, 0},
  {errc::unknown_op, "unknown_op", 400, 0},
  {errc::invalid_topic, "invalid_topic", 400, 0},
  {errc::invalid_channel, "invalid_channel", 400, 0},
  {errc::invalid_collection, "invalid_collection", 400, 0},
  {errc::invalid_workspace, "invalid_workspace", 400, 0},
  {errc::invalid_filter, "invalid_filter", 400, 0},
  {errc::bad_cursor, "bad_cursor", 400, 0},
  {errc::bad_limit, "bad_limit", 400, 0},
  {errc::not_subscribed, "not_subscribed", 400, 0},
  {errc::unauthorized, "unauthorized", 401, close_code::scope_denied},
  {errc::forbidden, "forbidden", 403, 0},
  {errc::scope_denied, "scope_denied", 403, close_code::scope_denied},
  {errc::not_found, "not_found", 404, 0},
  {errc::channel_unavailable, "channel_unavailable", 404, close_code::channel_unavailable},
  {errc::method_not_allowed, "method_not_allowed", 405, 0},
  {errc::upgrade_required, "upgrade_required", 426, 0},
  {errc::quota_exceeded, "quota_exceeded", 429, close_code::quota_exceeded},
  {errc::unavailable, "unavailable", 503, 0},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (static_cast<std::size_t>(table[i].code) != i + 1)
      return false;
  return true;
}
static_assert(table_in_enum_order(), "one row per errc, in enum order");
static_assert(static_cast<std::size_t>(errc::unavailable) == table.size(), "a row per errc");

} // namespace

const errc_info& info(errc e) {
  auto i = static_cast<std::size_t>(e);
  if (i < 1 || i > table.size()) // not an errc value: treat it as the router failing
    i = static_cast<std::size_t>(errc::unavailable);
  return table[i - 1];
}

std::optional<errc> errc_from_wire(std::string_view wire) {
  for (const auto& row : table)
    if (row.wire == wire)
      return row.code;
  return std::nullopt;
}

std::string to_string(errc e) {
  return std::string(wire_code(e));
}

caf::error make_error(errc e, std::string detail) {
  return caf::error(static_cast<std::uint8_t>(e), errc_category,
                    caf::make_message(std::move(detail)));
}

std::optional<errc> errc_of(const caf::error& err) {
  if (!err || err.category() != errc_category)
    return std::nullopt;
  auto code = err.code();
  if (code < 1 || code > table.size())
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
                           out += code >= 1 && code <= table.size()
                                    ? std::string(table[code - 1].wire)
                                    : "unknown(" + std::to_string(code) + ")";
                           if (ctx.match_elements<std::string>()
                               && !ctx.get_as<std::string>(0).empty())
                             out += " (" + ctx.get_as<std::string>(0) + ")";
                           return out;
                         });
}

} // namespace sy
