#include "net/pg/change_json.hpp"

#include "net/pg/pg_values.hpp"
#include "schema/json_text.hpp"

namespace sy::pg {

namespace {

bool same_value(const tuple_value& a, const tuple_value& b) {
  return a.kind == b.kind && (a.kind != 't' || a.text == b.text);
}

/// Writes JSON objects of column values: `"name":value`, comma-separated.
class object_writer {
public:
  object_writer(std::string& out, const relation_msg& rel) : out_(out), rel_(rel) {
    out_ += '{';
  }
  /// Column `i` with value `v`; an unchanged TOASTed value ('u') has no value to write.
  void add(std::size_t i, const tuple_value& v) {
    if (v.kind == 'u')
      return;
    if (!first_)
      out_ += ',';
    first_ = false;
    append_text_json(out_, rel_.columns[i].name);
    out_ += ':';
    if (v.kind == 't')
      append_value_json(out_, rel_.columns[i].type_oid, v.text);
    else
      out_ += "null";
  }
  void close() { out_ += '}'; }

private:
  std::string& out_;
  const relation_msg& rel_;
  bool first_ = true;
};

bool check_shape(const relation_msg& rel, const change_msg& c, std::string& error) {
  auto n = rel.columns.size();
  if (operation_name(c.op).empty()) {
    error = "not a row change";
    return false;
  }
  if (c.relation_oid != rel.oid) {
    error = "change of relation " + std::to_string(c.relation_oid) + " given relation "
            + std::to_string(rel.oid);
    return false;
  }
  if (c.old_kind != 0 && c.old_kind != 'K' && c.old_kind != 'O') {
    error = "unknown old tuple kind";
    return false;
  }
  if (c.op == 'I' && c.old_kind != 0) {
    error = "an INSERT with an old tuple";
    return false;
  }
  if (c.op != 'D' && c.new_tuple.size() != n) {
    error = "new tuple has " + std::to_string(c.new_tuple.size()) + " columns, relation "
            + rel.name + " has " + std::to_string(n);
    return false;
  }
  if (c.old_kind != 0 && c.old_tuple.size() != n) {
    error = "old tuple has " + std::to_string(c.old_tuple.size()) + " columns, relation "
            + rel.name + " has " + std::to_string(n);
    return false;
  }
  return true;
}

/// "record": the new row. An unchanged TOASTed column takes the old value when the server
/// sent one (the whole old row, or a key column of the old key), else it is left out.
void write_record(std::string& out, const relation_msg& rel, const change_msg& c) {
  object_writer w(out, rel);
  for (std::size_t i = 0; i < c.new_tuple.size(); ++i) {
    const auto& v = c.new_tuple[i];
    bool old_known = c.old_kind == 'O' || (c.old_kind == 'K' && rel.columns[i].key);
    w.add(i, v.kind == 'u' && old_known ? c.old_tuple[i] : v);
  }
  w.close();
}

/// "oldRecord": the whole old row ('O'), the old key ('K'; the server sends null for the
/// other columns), or, when the key did not change, the key as the new row has it.
void write_old_record(std::string& out, const relation_msg& rel, const change_msg& c) {
  object_writer w(out, rel);
  if (c.old_kind == 'O') {
    for (std::size_t i = 0; i < c.old_tuple.size(); ++i)
      w.add(i, c.old_tuple[i]);
  } else if (c.old_kind == 'K') {
    for (std::size_t i = 0; i < c.old_tuple.size(); ++i)
      if (rel.columns[i].key)
        w.add(i, c.old_tuple[i]);
  } else if (c.op == 'U' && rel.replica_identity != 'n') {
    for (std::size_t i = 0; i < c.new_tuple.size(); ++i)
      if (rel.columns[i].key)
        w.add(i, c.new_tuple[i]);
  }
  w.close();
}

/// Whether column `i` may have changed. Without the whole old row only the key can be
/// compared; every other column the server sent a value for may have changed.
bool changed(const relation_msg& rel, const change_msg& c, std::size_t i) {
  const auto& now = c.new_tuple[i];
  if (now.kind == 'u') // unchanged TOASTed value: the server says it did not change
    return false;
  if (c.old_kind == 'O' || (c.old_kind == 'K' && rel.columns[i].key))
    return !same_value(c.old_tuple[i], now);
  return !rel.columns[i].key;
}

} // namespace

std::string_view operation_name(char op) noexcept {
  switch (op) {
    case 'I': return "INSERT";
    case 'U': return "UPDATE";
    case 'D': return "DELETE";
    default: return {};
  }
}

bool change_data_json(const relation_msg& rel, const change_msg& change, std::string& out,
                      std::string& error) {
  if (!check_shape(rel, change, error))
    return false;
  out.clear();
  out += "{\"operation\":";
  append_json_string(out, operation_name(change.op));
  out += ",\"table\":";
  append_text_json(out, rel.name);
  out += ",\"record\":";
  if (change.op == 'D')
    out += "null";
  else
    write_record(out, rel, change);
  if (change.op != 'I') {
    out += ",\"oldRecord\":";
    write_old_record(out, rel, change);
  }
  if (change.op == 'U') {
    out += ",\"changedColumns\":[";
    bool first = true;
    for (std::size_t i = 0; i < rel.columns.size(); ++i) {
      if (!changed(rel, change, i))
        continue;
      if (!first)
        out += ',';
      first = false;
      append_text_json(out, rel.columns[i].name);
    }
    out += ']';
  }
  out += '}';
  return true;
}

} // namespace sy::pg
