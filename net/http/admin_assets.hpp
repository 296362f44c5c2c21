#pragma once
// The admin console's files (web/admin/), compiled into the binary by cmake/embed_assets.cmake
// and served at GET /admin (index.html) and GET /admin/<file>. Only names in the table exist:
// no request reaches the file system.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/app_handler.hpp"

namespace sy {

struct embedded_asset {
  const char* name; // file name in web/admin/, e.g. "app.js"
  const unsigned char* data;
  std::size_t size;
};

// Defined by the generated source (build/generated/admin_assets_data.cpp).
extern const embedded_asset admin_assets[];
extern const std::size_t admin_assets_count;

/// The table's entry named `name`; nullptr when there is none.
const embedded_asset* find_admin_asset(std::string_view name);

/// Content-Type by extension (html, js, css, svg, json, png; else octet-stream).
const char* asset_content_type(std::string_view name);

/// Headers of every console file: a Content-Security-Policy allowing only this origin's own
/// scripts, styles, images and connections (no inline script, no CDN, no framing), no-store
/// (a console upgraded with the binary is never served stale), nosniff, no referrer.
extern const char* const admin_asset_headers;

/// The reply to a GET of path segments ["admin"] (index.html) or ["admin", file]; nullopt
/// when they name no console file.
std::optional<http_reply> admin_asset_reply(const std::vector<std::string>& segments);

} // namespace sy
