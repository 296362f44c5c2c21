#include "net/http/request_parser.hpp"

#include <algorithm>
#include <cstring>

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

class request_category final : public boost::system::error_category {
public:
  const char* name() const noexcept override {
    return "sy.http.request";
  }
  std::string message(int ev) const override {
    switch (static_cast<request_error>(ev)) {
    case request_error::missing_host:
      return "an HTTP/1.1 request needs a Host header";
    case request_error::duplicate_host:
      return "more than one Host header";
    case request_error::transfer_encoding_with_length:
      return "Transfer-Encoding and Content-Length together";
    case request_error::transfer_encoding_http10:
      return "Transfer-Encoding in an HTTP/1.0 request";
    case request_error::bad_transfer_encoding:
      return "Transfer-Encoding must be exactly chunked";
    case request_error::unsupported_transfer_coding:
      return "only the chunked transfer coding is implemented";
    case request_error::bad_request_line:
      return "bad request line (method, target and HTTP version expected)";
    case request_error::bad_line_ending:
      return "a line ends in a bare LF, not CRLF";
    }
    return "bad request";
  }
};

// The comma-separated elements of a field value, without surrounding whitespace; empty
// elements are skipped (RFC 9110 5.6.1).
template <class Fn>
void for_each_element(string_view list, Fn fn) {
  std::size_t i = 0;
  while (i <= list.size()) {
    auto comma = list.find(',', i);
    if (comma == string_view::npos)
      comma = list.size();
    auto b = i, e = comma;
    while (b < e && (list[b] == ' ' || list[b] == '\t'))
      ++b;
    while (e > b && (list[e - 1] == ' ' || list[e - 1] == '\t'))
      --e;
    if (e > b)
      fn(list.substr(b, e - b));
    i = comma + 1;
  }
}

} // namespace

const boost::system::error_category& request_error_category() noexcept {
  static const request_category cat;
  return cat;
}

boost::system::error_code make_error_code(request_error e) noexcept {
  return {static_cast<int>(e), request_error_category()};
}

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
    // Beast keeps a last chunk ("0\r\n") unconsumed until its trailers end, and asserts that
    // the next call brings at least 5 bytes from there: a chunked body can't end in fewer
    // ("0\r\n\r\n"), so wait for more instead of offering a shorter remainder.
    if (is_header_done() && chunked() && avail < 5)
      break;
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
    if (ec && ec != http::error::need_more)
      return used;
    if (ec || k == 0)
      break;
  }
  if (!is_done()) {
    ec = stalled(std::string_view(data + used, n - used));
    if (!ec)
      ec = http::error::need_more;
  }
  return used;
}

request_parser::error_code request_parser::stalled(std::string_view rest) const {
  const void* lf = rest.empty() ? nullptr : std::memchr(rest.data(), '\n', rest.size());
  if (!lf)
    return {};
  auto at = static_cast<std::size_t>(static_cast<const char*>(lf) - rest.data());
  // Every complete line Beast accepts (request line, fields, chunk sizes, trailers) it has
  // consumed or waits on only for its CRLF, and it has consumed every body byte: a LF left
  // here that ends no CRLF is a bare-LF line it would wait on forever.
  for (auto i = at; i != std::string_view::npos; i = rest.find('\n', i + 1))
    if (i == 0 || rest[i - 1] != '\r')
      return request_error::bad_line_ending;
  if (line_done_)
    return {};
  // The request line is complete but did not parse. Beast waits when too few bytes follow the
  // target to hold a version ("GET / \r\n\r\n"), and once it has waited it re-parses the
  // line only with the whole header block: refuse a line that cannot end in a version, and
  // any line still unparsed with its header block complete.
  auto line = rest.substr(0, at - 1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const bool versioned = line.size() > 8 && line.compare(line.size() - 8, 5, "HTTP/") == 0
                         && digit(line[line.size() - 3]) && line[line.size() - 2] == '.'
                         && digit(line[line.size() - 1]) && line[line.size() - 9] == ' ';
  if (!versioned || rest.find("\r\n\r\n") != std::string_view::npos)
    return request_error::bad_request_line;
  return {};
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
  line_done_ = true;
}

void request_parser::on_field_impl(http::field name, string_view name_string, string_view value,
                                   error_code&) {
  switch (name) {
  case http::field::host:
    ++hosts_;
    break;
  case http::field::content_length:
    has_length_ = true;
    break;
  case http::field::transfer_encoding:
    has_transfer_encoding_ = true;
    append_value(transfer_encoding_, value);
    break;
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
    // Sent twice, the key is not "a" key (RFC 6455 11.3.1): leave it empty, which refuses.
    if (++ws_keys_ == 1)
      ws_key_.assign(value.data(), value.size());
    else
      ws_key_.clear();
    break;
  case http::field::sec_websocket_version:
    ws_version_.assign(value.data(), value.size());
    break;
  case http::field::expect:
    expect_continue_ = iequals(value, "100-continue");
    break;
  case http::field::unknown:
    if (iequals(name_string, "last-event-id"))
      req_.last_event_id.assign(value.data(), value.size());
    break;
  default:
    break;
  }
}

request_parser::error_code request_parser::check_framing() const {
  if (hosts_ > 1)
    return request_error::duplicate_host;
  if (version_ >= 11 && hosts_ == 0)
    return request_error::missing_host;
  if (!has_transfer_encoding_)
    return {};
  // RFC 9112 6.1-6.3: the only framing Switchyard reads is chunked, applied once and last.
  // Beast refuses Content-Length *after* Transfer-Encoding and chunked twice in two fields;
  // the rest is refused here.
  if (version_ < 11)
    return request_error::transfer_encoding_http10;
  if (has_length_)
    return request_error::transfer_encoding_with_length;
  std::size_t codings = 0, chunked = 0;
  bool last_chunked = false;
  for_each_element(transfer_encoding_, [&](string_view c) {
    ++codings;
    last_chunked = iequals(c, "chunked");
    chunked += last_chunked;
  });
  if (!last_chunked || chunked > 1)
    return request_error::bad_transfer_encoding;
  if (codings > 1)
    return request_error::unsupported_transfer_coding;
  return {};
}

void request_parser::on_header_impl(error_code& ec) {
  ec = check_framing();
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
