#pragma once
// An HTTP/1.1 request parser that keeps only what the router reads. Beast's basic_parser does
// the protocol (request line, field syntax, Content-Length and chunked bodies, keep-alive rules,
// limits); this class collects the few fields the router uses into an http_request instead of
// building Beast's field list, which allocated one node per header on every request.
//
// It also refuses what Beast lets through (RFC 9112), because both HTTP paths (plain TCP and
// TLS) parse with this class and must agree with every proxy in front of them on where a
// request ends:
//  - Transfer-Encoding other than exactly `chunked`, or with Content-Length, or in HTTP/1.0:
//    Beast reads a body it cannot frame as empty, so its bytes would run as the next request;
//  - an HTTP/1.1 request without Host, or any request with two;
//  - a request line or a chunk line that is complete but never parses (no version, bare LF
//    line ends): Beast waits for more bytes that will not come, and the client for a reply.
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/beast/http/basic_parser.hpp>

#include "net/http/app_handler.hpp"

namespace sy {

/// Refusals of request_parser beyond Beast's own http::error codes.
enum class request_error {
  missing_host = 1,           // HTTP/1.1 without Host
  duplicate_host,             // two Host fields
  transfer_encoding_with_length, // Transfer-Encoding and Content-Length together
  transfer_encoding_http10,   // Transfer-Encoding in an HTTP/1.0 request
  bad_transfer_encoding,      // the final transfer coding is not chunked (or chunked twice)
  unsupported_transfer_coding, // a coding before the final chunked one (gzip, chunked): 501
  bad_request_line,           // a complete request line that does not parse (e.g. no version)
  bad_line_ending,            // a line ended by a bare LF
};

const boost::system::error_category& request_error_category() noexcept;
boost::system::error_code make_error_code(request_error e) noexcept;

class request_parser final : public boost::beast::http::basic_parser<true> {
public:
  using error_code = boost::beast::error_code;

  request_parser(std::size_t max_header_bytes, std::size_t max_body_bytes);

  /// Feeds bytes; returns how many were consumed. `ec` is http::error::need_more while the
  /// request is incomplete (keep the unconsumed bytes and call again with more), another error
  /// for a bad request, clear once is_done().
  std::size_t feed(const char* data, std::size_t n, error_code& ec);

  /// The parsed request (valid once is_done(); `remote`, `remote_ip` and `pass` are not set).
  http_request& request() noexcept {
    return req_;
  }
  /// "" when absent or sent more than once (either is a bad handshake).
  const std::string& websocket_key() const noexcept {
    return ws_key_;
  }
  const std::string& websocket_version() const noexcept {
    return ws_version_;
  }
  /// GET, HTTP/1.1, `Connection: upgrade` and `Upgrade: websocket` (RFC 6455 4.2.1).
  bool websocket_upgrade() const;
  /// The client sent `Expect: 100-continue` and waits for a go-ahead before the body.
  bool expects_continue() const noexcept {
    return expect_continue_;
  }

private:
  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, error_code&) override {
  }
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  /// Beast asked for more bytes although `rest` (what it left unconsumed) already ends a line
  /// it could not parse: the refusal, or nothing when waiting is right.
  error_code stalled(std::string_view rest) const;
  error_code check_framing() const;

  http_request req_;
  std::size_t max_header_;
  std::size_t header_used_ = 0; // header bytes basic_parser consumed (its request line)
  std::size_t max_body_;
  int version_ = 11;
  bool line_done_ = false; // the request line parsed
  bool get_ = false;
  bool expect_continue_ = false;
  bool has_length_ = false;
  unsigned hosts_ = 0;
  unsigned ws_keys_ = 0;
  std::string connection_; // every Connection value, comma-joined
  std::string upgrade_;    // every Upgrade value, comma-joined
  std::string transfer_encoding_; // every Transfer-Encoding value, comma-joined
  bool has_transfer_encoding_ = false;
  std::string ws_key_;
  std::string ws_version_;
};

} // namespace sy

namespace boost::system {
template <>
struct is_error_code_enum<sy::request_error> : std::true_type {};
} // namespace boost::system
