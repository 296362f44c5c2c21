#pragma once
// The two transports a connection can run on. The WebSocket connection is a template over
// these, instantiated for both: the plain path compiles to the code it had before TLS existed,
// and only TLS connections carry TLS state. (HTTP has one class per transport: plain_http on
// readiness, tls_http on Beast's stream.)
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace sy {

using tcp = boost::asio::ip::tcp;

/// HTTP and WebSocket over TLS. The tcp_stream underneath gives the handshake and HTTP reads
/// the same deadlines as the plain path; the stream is moved into the WebSocket connection on
/// upgrade (OpenSSL may already hold decrypted bytes, so the socket alone would not do).
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <class Stream>
inline constexpr bool is_tls_v = std::is_same_v<Stream, tls_stream>;

inline tcp::socket& raw_socket(tcp::socket& s) noexcept {
  return s;
}

inline tcp::socket& raw_socket(tls_stream& s) noexcept {
  return boost::beast::get_lowest_layer(s).socket();
}

} // namespace sy
