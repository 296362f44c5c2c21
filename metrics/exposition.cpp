#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace sy::metrics {

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Counts are integers: written as such (no "1e+06"), exact up to 2^53.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void exposition::write_labels(const labels& ls, const std::pair<std::string, std::string>* extra) {
  if (ls.empty() && !extra)
    return;
  out_ += '{';
  bool first = true;
  auto one = [&](const std::pair<std::string, std::string>& l) {
    if (!first)
      out_ += ',';
    first = false;
    out_ += l.first;
    out_ += "=\"";
    out_ += escape_label_value(l.second);
    out_ += '"';
  };
  for (const auto& l : ls)
    one(l);
  if (extra)
    one(*extra);
  out_ += '}';
}

void exposition::sample(std::string_view name, const labels& ls, double value) {
  out_ += name;
  write_labels(ls, nullptr);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void exposition::histogram(std::string_view name, const labels& ls,
                           const std::vector<double>& bounds,
                           const std::vector<std::uint64_t>& counts, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < counts.size() ? counts[i] : 0;
    std::pair<std::string, std::string> le{
      "le", i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf")};
    out_ += bucket;
    write_labels(ls, &le);
    out_ += ' ';
    out_ += format_value(static_cast<double>(cumulative));
    out_ += '\n';
  }
  sample(std::string(name) + "_sum", ls, sum);
  sample(std::string(name) + "_count", ls, static_cast<double>(cumulative));
}

} // namespace sy::metrics
