#include "net/http/admin_assets.hpp"

namespace sy {

const char* const admin_asset_headers =
  "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
  "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
  "frame-ancestors 'none'\r\n"
  "Cache-Control: no-store\r\n"
  "X-Content-Type-Options: nosniff\r\n"
  "Referrer-Policy: no-referrer\r\n";

const embedded_asset* find_admin_asset(std::string_view name) {
  for (std::size_t i = 0; i < admin_assets_count; ++i)
    if (name == admin_assets[i].name)
      return &admin_assets[i];
  return nullptr;
}

const char* asset_content_type(std::string_view name) {
  auto dot = name.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  if (ext == "html")
    return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") // module scripts need a JavaScript MIME type
    return "text/javascript; charset=utf-8";
  if (ext == "css")
    return "text/css; charset=utf-8";
  if (ext == "svg")
    return "image/svg+xml";
  if (ext == "json")
    return "application/json";
  if (ext == "png")
    return "image/png";
  return "application/octet-stream";
}

std::optional<http_reply> admin_asset_reply(const std::vector<std::string>& segments) {
  if (segments.empty() || segments[0] != "admin" || segments.size() > 2)
    return std::nullopt;
  std::string_view name = segments.size() == 1 ? "index.html" : std::string_view(segments[1]);
  const embedded_asset* a = find_admin_asset(name);
  if (!a)
    return std::nullopt;
  http_reply r;
  r.status = 200;
  r.body.assign(reinterpret_cast<const char*>(a->data), a->size);
  r.content_type = asset_content_type(a->name);
  r.headers = admin_asset_headers;
  return r;
}

} // namespace sy
