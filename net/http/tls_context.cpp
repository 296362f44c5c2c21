#include "net/http/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>

namespace sy {

namespace {

namespace ssl = boost::asio::ssl;

// ec.message() already names the failing OpenSSL routine ("no start line (PEM routines)");
// the rest of OpenSSL's error queue would only leak into the next, unrelated report.
std::string openssl_reason(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

} // namespace

std::unique_ptr<ssl::context> make_tls_context(const tls_options& opts, std::string& error) {
  if (opts.cert_file.empty() || opts.key_file.empty()) {
    error = "tls.cert_file and tls.key_file must be set together";
    return nullptr;
  }
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  auto* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, opts.min_version == "1.3" ? TLS1_3_VERSION
                                                                  : TLS1_2_VERSION);
  // Renegotiation is a CPU-exhaustion lever and nothing here needs it.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Once a large message has filled OpenSSL's two ~17 KB record buffers they go back to the
  // allocator instead of staying with a connection that is idle again.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  boost::system::error_code ec;
  ERR_clear_error();
  ctx->use_certificate_chain_file(opts.cert_file, ec);
  if (ec) {
    error = "tls.cert_file: cannot load a PEM certificate chain from " + opts.cert_file + ": "
            + openssl_reason(ec);
    return nullptr;
  }
  ctx->use_private_key_file(opts.key_file, ssl::context::pem, ec);
  if (ec) {
    error = "tls.key_file: cannot load a PEM private key from " + opts.key_file + ": "
            + openssl_reason(ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    error = "tls.key_file: " + opts.key_file + " does not match the certificate in "
            + opts.cert_file;
    return nullptr;
  }
  return ctx;
}

std::string tls_config_error(const tls_options& opts) {
  if (!opts.enabled())
    return {};
  std::string error;
  make_tls_context(opts, error);
  return error;
}

} // namespace sy
