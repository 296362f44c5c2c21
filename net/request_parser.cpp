#include "net/request_parser.hpp"

#include <algorithm>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/rfc7230.hpp>

namespace sy {

namespace http = boost::beast::http;
using boost::beast::string_view;

namespace {

void append_value(std::string& out, string_view v) {
  if (!out.empty())
    out += ',';
  out.append(v.data(), v.size());
}

bool iequals(string_view a, string_view b) {
  return boost::beast::iequals(a, b);
}

} // namespace

request_parser::request_parser(std::size_t max_header_bytes, std::size_t max_body_bytes)
  : max_header_(max_header_bytes), max_body_(max_body_bytes) {
  header_limit(static_cast<std::uint32_t>(max_header_bytes));
  body_limit(max_body_bytes);
  eager(true); // a whole pipelined request per feed, not header then body
}

std::size_t request_parser::feed(const char* data, std::size_t n, error_code& ec) {
  std::size_t used = 0;
  ec = {};
  while (!is_done() && used < n) {
    // basic_parser holds a header to its limit only when it arrives in pieces; given at once,
    // the request line and the fields each get the whole limit. Offering at most what is left
    // of the limit makes it one bound on the whole header block, however TCP splits it.
    const std::size_t avail = n - used;
    std::size_t len = avail;
    if (!is_header_done())
      len = std::min(avail, max_header_ - std::min(max_header_, header_used_));
    auto k = put(boost::asio::const_buffer(data + used, len), ec);
    used += k;
    if (!is_header_done())
      header_used_ += k;
    if (ec == http::error::need_more && len < avail) {
      if (!is_header_done()) {
        ec = http::error::header_limit; // the bytes are here, but no header end within the limit
        return used;
      }
      ec = {}; // the header ended inside the window: the rest is body
      continue;
    }
    if (ec)
      return used;
    if (k == 0)
      break;
  }
  if (!is_done() && !ec)
    ec = http::error::need_more;
  return used;
}

bool request_parser::websocket_upgrade() const {
  return get_ && version_ >= 11 && http::token_list{connection_}.exists("upgrade")
         && http::token_list{upgrade_}.exists("websocket");
}

void request_parser::on_request_impl(http::verb method, string_view method_str,
                                     string_view target, int version, error_code&) {
  req_.method.assign(method_str.data(), method_str.size());
  req_.target.assign(target.data(), target.size());
  get_ = method == http::verb::get;
  version_ = version;
}

void request_parser::on_field_impl(http::field name, string_view, string_view value,
                                   error_code&) {
  switch (name) {
  case http::field::authorization:
    if (req_.authorization.empty())
      req_.authorization.assign(value.data(), value.size());
    break;
  case http::field::origin:
    if (!req_.has_origin)
      req_.origin.assign(value.data(), value.size());
    req_.has_origin = true;
    break;
  case http::field::user_agent:
    req_.user_agent.assign(value.data(), value.size());
    break;
  case http::field::connection:
    append_value(connection_, value);
    break;
  case http::field::upgrade:
    append_value(upgrade_, value);
    break;
  case http::field::sec_websocket_key:
    ws_key_.assign(value.data(), value.size());
    break;
  case http::field::sec_websocket_version:
    ws_version_.assign(value.data(), value.size());
    break;
  case http::field::expect:
    expect_continue_ = iequals(value, "100-continue");
    break;
  default:
    break;
  }
}

void request_parser::on_header_impl(error_code&) {
  req_.websocket_upgrade = websocket_upgrade();
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                       error_code&) {
  // basic_parser has already refused a length over body_limit.
  if (content_length)
    req_.body.reserve(static_cast<std::size_t>(*content_length));
}

std::size_t request_parser::on_body_impl(string_view body, error_code&) {
  req_.body.append(body.data(), body.size());
  return body.size();
}

void request_parser::on_chunk_header_impl(std::uint64_t, string_view, error_code&) {
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) {
  // basic_parser counts chunked bytes against body_limit too; this is a second guard.
  if (req_.body.size() + body.size() > max_body_) {
    ec = http::error::body_limit;
    return 0;
  }
  req_.body.append(body.data(), body.size());
  return body.size();
}

void request_parser::on_finish_impl(error_code&) {
}

} // namespace sy
