// HTTP/1.1 request parser (net/http/request_parser): a byte stream of pipelined requests, parsed
// the way net/http/plain_http.cpp does (one parser per request, unconsumed bytes kept for the next
// feed). The stream is parsed twice, in one piece and in small pieces; both must yield the same
// requests, since TCP may split a request anywhere.
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "net/http/http_refusals.hpp"
#include "net/http/request_parser.hpp"

namespace {

namespace http = boost::beast::http;

// Small enough that the fuzzer reaches both limits (the config's minimum is 1024 for each).
constexpr std::size_t max_header = 1024;
constexpr std::size_t max_body = 2048;

struct outcome {
  std::string summary; // every field the router reads, or the refusal
  bool operator==(const outcome& o) const {
    return summary == o.summary;
  }
};

std::string describe(sy::request_parser& p) {
  auto& r = p.request();
  std::string s = r.method + ' ' + r.target + '\n' + r.authorization + '\n' + r.origin
                  + (r.has_origin ? "+" : "-") + '\n' + r.user_agent + '\n'
                  + p.websocket_key() + '\n' + p.websocket_version() + '\n'
                  + (r.websocket_upgrade ? "upgrade " : "") + (p.keep_alive() ? "keep " : "")
                  + (p.expects_continue() ? "continue " : "") + '\n' + r.body;
  return s;
}

/// Parses `stream`, delivered `piece` bytes at a time (0: all at once). Ends like a connection
/// does: after a refusal, an upgrade (the rest is WebSocket) or a request without keep-alive.
std::vector<outcome> parse_stream(std::string_view stream, std::size_t piece) {
  std::vector<outcome> out;
  std::string in;       // received, not yet consumed
  std::size_t sent = 0; // bytes of `stream` delivered so far
  std::optional<sy::request_parser> parser;
  while (true) {
    if (!parser)
      parser.emplace(max_header, max_body);
    sy::request_parser::error_code ec;
    std::size_t used = parser->feed(in.data(), in.size(), ec);
    FUZZ_CHECK(used <= in.size());
    in.erase(0, used);
    if (ec == http::error::need_more) {
      if (sent == stream.size()) {
        out.push_back({"incomplete"});
        return out;
      }
      std::size_t n = piece == 0 ? stream.size() - sent : std::min(piece, stream.size() - sent);
      in.append(stream.substr(sent, n));
      sent += n;
      continue;
    }
    if (ec) {
      auto reply = sy::parse_refusal(ec);
      // 501: a transfer coding other than chunked before the final chunked.
      FUZZ_CHECK(reply.status == 400 || reply.status == 413 || reply.status == 431
                 || reply.status == 501);
      out.push_back({"refused " + std::to_string(reply.status)});
      return out;
    }
    FUZZ_CHECK(parser->is_done());
    auto& req = parser->request();
    FUZZ_CHECK(req.body.size() <= max_body);
    FUZZ_CHECK(!req.websocket_upgrade || req.method == "GET");
    out.push_back({describe(*parser)});
    if (req.websocket_upgrade || !parser->keep_alive())
      return out;
    parser.reset();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  // The first byte picks how small the pieces of the second pass are (1..16 bytes).
  std::size_t piece = (data[0] & 0x0f) + 1;
  auto stream = sy::fuzz::as_text(data + 1, size - 1);
  auto whole = parse_stream(stream, 0);
  auto pieces = parse_stream(stream, piece);
  FUZZ_CHECK(whole.size() == pieces.size());
  for (std::size_t i = 0; i + 1 < whole.size(); ++i)
    FUZZ_CHECK(whole[i] == pieces[i]);
  // The last one may differ only between refused and incomplete: Beast reports a bad request
  // line as soon as it sees one, but once it has asked for more it waits for the whole header
  // (or its limit) before parsing again, so a stream ending early can go either way.
  const auto& a = whole.back();
  const auto& b = pieces.back();
  auto unfinished = [](const outcome& o) {
    return o.summary == "incomplete" || o.summary.rfind("refused ", 0) == 0;
  };
  FUZZ_CHECK(a == b || (unfinished(a) && unfinished(b)));
  return 0;
}
