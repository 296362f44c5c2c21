#pragma once
// A decoded row change as the event Switchyard stores on `postgres:<table>` (PROTOCOL.md,
// CHANGE-CAPTURE.md): {"operation","table","record","oldRecord","changedColumns"}, values
// mapped from PostgreSQL's text output by type (the type table in CHANGE-CAPTURE.md).
#include <cstdint>
#include <string>
#include <string_view>

#include "net/pg/pgoutput.hpp"

namespace sy::pg {

/// The JSON text of one column value of type `type_oid`, given PostgreSQL's text output of it
/// (DateStyle ISO, TimeZone UTC, bytea_output hex, as the replication session sets them).
void append_value_json(std::string& out, std::uint32_t type_oid, std::string_view text);

/// The event data for `change` of `rel`: operation "INSERT" | "UPDATE" | "DELETE", "table",
/// "record" (null for DELETE), "oldRecord" (UPDATE and DELETE: the whole old row with
/// REPLICA IDENTITY FULL, else the key columns), "changedColumns" (UPDATE, in column order).
/// `out` is replaced. False (and `error`) when the tuple does not match the relation's
/// columns (count, relation oid, old tuple kind).
bool change_data_json(const relation_msg& rel, const change_msg& change, std::string& out,
                      std::string& error);

/// "INSERT", "UPDATE" or "DELETE" for 'I', 'U', 'D'.
std::string_view operation_name(char op) noexcept;

} // namespace sy::pg
