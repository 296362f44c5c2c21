#pragma once
// Server TLS: configured certificate/key files -> one OpenSSL context shared by every
// connection. The header stays free of Asio so main.cpp and http_server.hpp remain cheap.
#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace sy {

struct tls_options {
  std::string cert_file;            // PEM chain, leaf first; both files set: TLS only
  std::string key_file;             // PEM private key matching the leaf
  std::string min_version = "1.2";  // "1.2" or "1.3"

  bool enabled() const noexcept {
    return !cert_file.empty() || !key_file.empty();
  }
};

/// The server context, or nullptr with `error` naming the setting and file at fault.
std::unique_ptr<boost::asio::ssl::context> make_tls_context(const tls_options& opts,
                                                            std::string& error);

/// "" when `opts` is off or loads into a usable context (what check-config runs).
std::string tls_config_error(const tls_options& opts);

} // namespace sy
