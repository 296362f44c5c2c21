// The admin API's pieces that need no socket: connection ids as the registry reads them, and
// the ticket that answers an operator's close once every session let go of it.
#include <catch2/catch.hpp>

#include "actors/connections.hpp"

using namespace sy;

namespace {

class count_sink final : public completion<kick_result> {
public:
  explicit count_sink(std::vector<std::uint64_t>& out) : out_(out) {
  }
  void complete(const kick_result& r) override {
    out_.push_back(r.closed);
  }
  void fail(errc, std::string) override {
  }

private:
  std::vector<std::uint64_t>& out_;
};

} // namespace

TEST_CASE("connection ids are s and the session's actor id", "[unit][admin]") {
  CHECK(session_key("s42") == std::optional<std::uint64_t>(42));
  CHECK(session_key("s0") == std::optional<std::uint64_t>(0));
  CHECK(session_key("s18446744073709551615") == std::optional<std::uint64_t>(UINT64_MAX));
  for (const char* bad : {"", "s", "42", "x42", "s4a", "s-1", "s18446744073709551616", " s1"})
    CHECK_FALSE(session_key(bad));
}

TEST_CASE("a kick ticket answers once, when the last holder lets go", "[unit][admin]") {
  std::vector<std::uint64_t> answers;
  auto ticket = std::make_shared<const kick_tally>(std::make_shared<count_sink>(answers), 2);
  auto held_by_first = ticket;
  auto held_by_second = ticket;
  ticket.reset();
  held_by_first.reset();
  CHECK(answers.empty());
  held_by_second.reset();
  CHECK(answers == std::vector<std::uint64_t>{2});
}
