// PostgreSQL array literals -> JSON arrays. The server writes an element in double quotes
// when it is empty, is NULL spelled as text, or holds a delimiter, brace, quote, backslash or
// white space, escaping " and \ with a backslash; other elements come bare. The reader also
// takes what the server's own array input takes (white space around elements, backslashes in
// bare elements), so a literal is read the way PostgreSQL itself would read it.
#include "net/pg/change_json.hpp"
#include "net/pg/pg_values.hpp"

namespace sy::pg {

namespace {

// PostgreSQL's MAXDIM: no array has more dimensions, so this also bounds the recursion.
constexpr int max_dimensions = 6;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_null_word(std::string_view s) {
  if (s.size() != 4)
    return false;
  static constexpr char word[] = "null";
  for (std::size_t i = 0; i < 4; ++i)
    if ((s[i] | 0x20) != word[i])
      return false;
  return true;
}

class array_reader {
public:
  array_reader(std::string_view s, std::uint32_t element_oid, std::string& out)
      : s_(s), element_oid_(element_oid), out_(out) {}

  bool read() {
    skip_space();
    if (at('[') && !dimensions())
      return false;
    skip_space();
    if (!level(1))
      return false;
    skip_space();
    return i_ == s_.size();
  }

private:
  bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (!at(c))
      return false;
    ++i_;
    return true;
  }
  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_]))
      ++i_;
  }

  bool bound() {
    eat('-') || eat('+');
    auto start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9')
      ++i_;
    return i_ > start;
  }

  /// "[lb:ub]..." then "=": the bounds say where indexes start, which a JSON array cannot
  /// say; only the elements are kept.
  bool dimensions() {
    int n = 0;
    while (eat('[')) {
      if (++n > max_dimensions || !bound())
        return false;
      if (eat(':') && !bound())
        return false;
      if (!eat(']'))
        return false;
    }
    skip_space();
    return eat('=');
  }

  bool level(int depth) {
    if (depth > max_dimensions || !eat('{'))
      return false;
    out_ += '[';
    skip_space();
    if (!eat('}')) {
      for (bool first = true;; first = false) {
        if (!first)
          out_ += ',';
        skip_space();
        if (at('{') ? !level(depth + 1) : !element())
          return false;
        skip_space();
        if (eat(','))
          continue;
        if (eat('}'))
          break;
        return false;
      }
    }
    out_ += ']';
    return true;
  }

  bool element() {
    std::string text;
    if (eat('"')) {
      while (true) {
        if (i_ >= s_.size())
          return false;
        char c = s_[i_++];
        if (c == '"')
          break;
        if (c == '\\') {
          if (i_ >= s_.size())
            return false;
          c = s_[i_++];
        }
        text += c;
      }
      append_value_json(out_, element_oid_, text); // a quoted "NULL" is the text NULL
      return true;
    }
    bool escaped = false;
    std::size_t keep = 0; // trailing white space is not part of a bare element
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ',' || c == '}')
        break;
      if (c == '{' || c == '"')
        return false;
      ++i_;
      if (c == '\\') {
        if (i_ >= s_.size())
          return false;
        text += s_[i_++];
        escaped = true;
        keep = text.size();
        continue;
      }
      text += c;
      if (!is_space(c))
        keep = text.size();
    }
    text.resize(keep);
    if (text.empty())
      return false;
    if (!escaped && is_null_word(text))
      out_ += "null";
    else
      append_value_json(out_, element_oid_, text);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::uint32_t element_oid_;
  std::string& out_;
};

} // namespace

bool append_array_json(std::string& out, std::uint32_t element_oid, std::string_view text) {
  return array_reader(text, element_oid, out).read();
}

} // namespace sy::pg
