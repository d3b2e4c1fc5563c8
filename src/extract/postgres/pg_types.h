// PostgreSQL -> Iceberg type mapping and table introspection from pg_catalog.
//
// The mapping (docs/type-mapping.md, PostgreSQL section):
//   bool -> boolean; int2/int4 -> int; int8 -> long; float4/float8 -> float/double;
//   numeric(p,s) -> decimal(p,s) (negative scale s: decimal(p-s,0); scale above precision:
//     decimal(s,s); more than 38 digits: string);
//   unconstrained numeric -> decimal(38, unconstrained_scale) checked exactly at decode time
//     (a value that does not fit is a TypeError naming the column and the value), or string,
//     by PgTypePolicy;
//   text/varchar/bpchar/name -> string; bytea -> binary; date, time, timestamp, timestamptz ->
//   the same Iceberg types; interval -> string (ISO 8601); uuid -> uuid; json/jsonb -> string;
//   arrays -> list of the element's mapping (multi-dimensional arrays are flattened);
//   domains -> their base type (a domain's NOT NULL makes the column required);
//   enums, inet/cidr/macaddr, money and anything else -> string through `col::text` (or
//   `col::text[]` for arrays of such types) in the SELECT.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "extract/batch_source.h"
#include "extract/postgres/pg_binary.h"

namespace nilus {

class PgConnection;

struct PgTypePolicy {
  enum class UnconstrainedNumeric : uint8_t { kDecimal, kString };
  UnconstrainedNumeric unconstrained_numeric = UnconstrainedNumeric::kDecimal;
  // The scale of decimal(38, S) for unconstrained numeric. 0..38.
  int unconstrained_scale = 9;
};

// A PostgreSQL type after domains were resolved to their base type.
struct PgTypeDesc {
  uint32_t oid = 0;       // the base type's OID
  std::string name;       // the base type's typname ("int4", "_int4", "mood")
  char typtype = 'b';     // pg_type.typtype: b base, e enum, c composite, r range, ...
  int32_t typmod = -1;    // atttypmod, or the domain's typtypmod
  bool is_array = false;  // typcategory 'A' with an element type
  // Arrays: the element OID the array header carries (pg_type.typelem, possibly a domain) and
  // the element's resolved description.
  uint32_t wire_element_oid = 0;
  std::shared_ptr<const PgTypeDesc> element;
};

// How one PostgreSQL type is read.
struct PgTypeMapping {
  TypePtr type;               // the Iceberg type
  PgWireKind kind;            // how the value arrives (after the cast)
  bool cast_to_text = false;  // read as col::text (or col::text[] for an array)
  // Arrays: the element's mapping.
  std::shared_ptr<const PgTypeMapping> element;
};

// Maps a type. `list_element_id` is the Iceberg field id given to a list's element.
// InvalidArgument for a policy out of range.
Result<PgTypeMapping> MapPgType(const PgTypeDesc& desc, const PgTypePolicy& policy,
                                int32_t list_element_id);

// Well-known type OIDs (pg_type.dat); stable across PostgreSQL versions.
namespace pg_oid {
inline constexpr uint32_t kBool = 16, kBytea = 17, kChar = 18, kName = 19, kInt8 = 20, kInt2 = 21,
                          kInt4 = 23, kText = 25, kOid = 26, kJson = 114, kFloat4 = 700,
                          kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082,
                          kTime = 1083, kTimestamp = 1114, kTimestampTz = 1184, kInterval = 1186,
                          kNumeric = 1700, kUuid = 2950, kJsonb = 3802;
}  // namespace pg_oid

// One column of a described table.
struct PgColumnDesc {
  std::string name;
  std::string source_type;  // format_type(atttypid, atttypmod), e.g. "numeric(12,2)"
  bool not_null = false;
  PgTypeDesc type;
  PgTypeMapping mapping;
  std::string select_expr;  // the column in the COPY's SELECT, with its cast
  std::shared_ptr<const PgValueDecoder> decoder;
};

struct PgTableDesc {
  SourceTableInfo info;  // qualified_name "schema.table"
  std::string schema_name;
  std::string table_name;
  uint32_t oid = 0;
  char relkind = 'r';          // r table, p partitioned, v view, m matview, f foreign
  int64_t relation_pages = 0;  // current size in pages (pg_relation_size / block_size)
  std::vector<PgColumnDesc> columns;
};

// Describes a table from pg_catalog: columns, types, nullability, primary key, size.
// `qualified_name` is "schema.table" or "table" (schema public); names are matched exactly
// (case-sensitive, unquoted). `columns` selects and orders the columns to read; empty means all.
// Errors: NotFound naming the table or the column; what the connection returns otherwise.
Result<PgTableDesc> DescribePgTable(PgConnection* conn, std::string_view qualified_name,
                                    const PgTypePolicy& policy,
                                    const std::vector<std::string>& columns = {});

// The SELECT list for a described table: its columns' select expressions joined by ", ".
std::string PgSelectList(const PgTableDesc& table);

}  // namespace nilus
