#include "net/http/http_head.hpp"

#include <charconv>
#include <ostream> // beast/http/status.hpp needs it and does not include it

#include <boost/beast/http/status.hpp>

namespace sy {

void format_http_head(std::string& out, unsigned status, const char* content_type,
                      std::size_t content_length, bool keep_alive, const char* headers) {
  namespace http = boost::beast::http;
  char num[24];
  out.clear();
  out += "HTTP/1.1 ";
  auto r = std::to_chars(num, num + sizeof num, status);
  out.append(num, r.ptr);
  out += ' ';
  // Beast's own reason phrases, so clients see the same status line as before.
  auto reason = http::obsolete_reason(http::int_to_status(status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: switchyard\r\nContent-Type: ";
  out += content_type;
  // HTTP/1.1 is persistent by default: only the closing reply says so.
  if (!keep_alive)
    out += "\r\nConnection: close";
  out += "\r\nContent-Length: ";
  r = std::to_chars(num, num + sizeof num, content_length);
  out.append(num, r.ptr);
  out += "\r\n";
  if (headers)
    out += headers;
  out += "\r\n";
}

} // namespace sy
