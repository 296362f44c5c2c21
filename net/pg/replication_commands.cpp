#include "net/pg/replication_commands.hpp"

#include <algorithm>
#include <cstdio>

#include "net/pg/lsn.hpp"
#include "net/pg/pq_bounded.hpp"

namespace sy::pg::detail {

namespace {

// `"name"` with embedded quotes doubled, then inside a '…' literal with quotes doubled: the
// publication_names option is a string holding a list of identifiers.
std::string publication_option(std::string_view pub) {
  std::string ident = "\"";
  for (char c : pub)
    ident += c == '"' ? std::string("\"\"") : std::string(1, c);
  ident += '"';
  std::string lit = "'";
  for (char c : ident)
    lit += c == '\'' ? std::string("''") : std::string(1, c);
  return lit + "'";
}

} // namespace

// What the decoder relies on in the text output of values (change_json.hpp): ISO dates in UTC,
// hex bytea, floats that round-trip, ISO 8601 intervals.
const char* const session_settings = "-c DateStyle=ISO -c TimeZone=UTC -c bytea_output=hex "
                                    "-c extra_float_digits=3 -c IntervalStyle=iso_8601";

std::string create_slot_command(std::string_view slot) {
  // NOEXPORT_SNAPSHOT: the source streams changes from here on; it copies no initial data.
  return "CREATE_REPLICATION_SLOT \"" + std::string(slot) + "\" LOGICAL pgoutput NOEXPORT_SNAPSHOT";
}

std::string start_replication_command(std::string_view slot, lsn_t start,
                                      std::string_view publication) {
  return "START_REPLICATION SLOT \"" + std::string(slot) + "\" LOGICAL " + format_lsn(start) +
         " (proto_version '1', publication_names " + publication_option(publication) + ")";
}

bool quote_table(PGconn* conn, std::string_view table, std::string& out) {
  std::size_t pos = 0;
  for (;;) {
    auto dot = table.find('.', pos);
    auto part = table.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (part.empty())
      return false;
    char* q = PQescapeIdentifier(conn, part.data(), part.size());
    if (!q)
      return false;
    out += q;
    PQfreemem(q);
    if (dot == std::string_view::npos)
      return true;
    out += '.';
    pos = dot + 1;
  }
}

std::vector<std::pair<std::string, std::string>> conn_keywords(const session_options& o,
                                                               bool replication,
                                                               session_error& err) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(o.dsn.c_str(), &parse_error);
  if (!parsed) {
    // libpq's other parse errors quote a piece of the dsn, which may be a password.
    std::string why = one_line(parse_error ? parse_error : "");
    bool safe = why.rfind("invalid connection option", 0) == 0;
    err = {failure::bad_config, "the dsn is not a valid libpq conninfo or URI" +
                                  (safe ? ": " + why : std::string())};
    PQfreemem(parse_error);
    return {};
  }
  std::string options;
  for (auto* opt = parsed; opt->keyword; ++opt)
    if (std::string_view(opt->keyword) == "options" && opt->val)
      options = opt->val;
  PQconninfoFree(parsed);
  std::vector<std::pair<std::string, std::string>> kw{
    {"dbname", o.dsn}, {"connect_timeout", std::to_string(std::max(o.connect_timeout_s, 1))}};
  if (replication) {
    kw.emplace_back("replication", "database");
    kw.emplace_back("options", options.empty() ? std::string(session_settings)
                                               : options + " " + session_settings);
  }
  return kw;
}

} // namespace sy::pg::detail
