// The one definition of the run-metadata tables (runs_info, extract_info, normalize_info,
// load_info), shared by the local SQLite store and the Manager's PostgreSQL repository.
//
// Every table is described by a list of columns with a logical type. From that list this module
// generates, for either dialect: the DDL (CREATE TABLE / CREATE INDEX, versioned migrations),
// the idempotent upsert statement, and the JSON field names (a column's name is its JSON field
// name). Adding a column means adding one entry with the next `since_version`; both stores then
// migrate the same way. docs/run-metadata.md documents every column and must follow this file.
//
// Everything here is constant data and pure functions: thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace nilus::pipeline {

// Times in metadata records: UTC, microsecond precision.
using MetaTime = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-01-02T03:04:05.123456Z": fixed width, so text order is time order.
std::string FormatMetaTime(MetaTime t);
// The current time as a MetaTime.
inline MetaTime MetaTimeNow() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}
// Accepts ISO 8601 / PostgreSQL output: "YYYY-MM-DD[T| ]HH:MM:SS[.fraction]" followed by "Z" or
// an offset "+HH", "+HH:MM", "+HHMM" (also "-"). Fractions beyond microseconds are truncated.
// Errors: InvalidArgument quoting the text.
Result<MetaTime> ParseMetaTime(std::string_view text);
// Whether `text` is a UUID in canonical lower-case form (8-4-4-4-12 hex digits).
bool IsCanonicalUuid(std::string_view text);

enum class SqlDialect { kSqlite, kPostgres };

// Logical column types and how each dialect stores them:
//   type        SQLite    PostgreSQL   JSON
//   kUuid       TEXT      uuid         string "8-4-4-4-12" lower-case hex
//   kText       TEXT      text         string
//   kJson       TEXT      jsonb        an embedded JSON value (array/object)
//   kTimestamp  TEXT      timestamptz  string, ISO 8601 UTC "2026-01-02T03:04:05.123456Z"
//   kInt32      INTEGER   integer      number
//   kInt64      INTEGER   bigint       number
//   kBool       INTEGER   boolean      true/false (0/1 in SQLite)
// SQLite timestamps are fixed-width ISO text, so they sort and compare as text.
enum class MetaColumnType { kUuid, kText, kJson, kTimestamp, kInt32, kInt64, kBool };

struct MetaColumn {
  std::string_view name;
  MetaColumnType type;
  bool nullable;
  // A SQL literal both dialects accept ("0", "false", "'[]'"); "" for no default.
  std::string_view default_value;
  // When not empty: CHECK (name IN (...)) with these values.
  std::span<const std::string_view> allowed_values;
  // The schema version whose migration adds this column (1 = the first).
  int since_version;
};

struct MetaIndex {
  std::string_view name;
  std::span<const std::string_view> columns;
  int since_version;
};

struct MetaTable {
  std::string_view name;
  std::span<const MetaColumn> columns;
  std::span<const std::string_view> primary_key;
  // When not empty: FOREIGN KEY (run_id) REFERENCES <parent>(run_id) ON DELETE CASCADE, so
  // stage rows cannot exist without their run and retention deletes them with it.
  std::string_view parent_table;
  std::span<const MetaIndex> indexes;
  int since_version;
};

// The latest schema version. Migrations 1..this bring an empty database up to date.
int MetadataSchemaVersion();

// The four tables, runs_info first (the parent of the others).
std::span<const MetaTable> MetadataTables();
const MetaTable& RunsInfoTable();
const MetaTable& ExtractInfoTable();
const MetaTable& NormalizeInfoTable();
const MetaTable& LoadInfoTable();
// nullptr when there is no such table.
const MetaTable* FindMetadataTable(std::string_view name);
// The index of a column in table.columns, or -1.
int FindMetaColumn(const MetaTable& table, std::string_view name);

// The table that records applied migrations: nilus_schema_version(version, applied_at).
inline constexpr std::string_view kSchemaVersionTable = "nilus_schema_version";

// The column type as the dialect spells it ("bigint", "INTEGER", ...).
std::string_view SqlTypeName(MetaColumnType type, SqlDialect dialect);

// The statements of migration `version` (1..MetadataSchemaVersion()): tables added in that
// version (CREATE TABLE IF NOT EXISTS with their columns up to `version`), columns added to
// older tables (ALTER TABLE ... ADD COLUMN) and indexes (CREATE INDEX IF NOT EXISTS). Does not
// touch the schema-version table; the caller runs them in one transaction with that bookkeeping.
std::vector<std::string> MigrationStatements(SqlDialect dialect, int version);

// CREATE TABLE IF NOT EXISTS for the schema-version table.
std::string SchemaVersionTableDdl(SqlDialect dialect);

// The whole schema (the version table and every migration), as one ';'-separated script.
// Unqualified names: PostgreSQL puts them in the first schema of search_path.
std::string SqliteDdl();
std::string PostgresDdl();

// A bind placeholder: "?3" (SQLite) or "$3" (PostgreSQL); `n` counts from 1.
std::string SqlPlaceholder(SqlDialect dialect, int n);

// INSERT INTO t (all columns) VALUES (placeholders in column order)
// ON CONFLICT (primary key) DO UPDATE SET c = excluded.c for each of `update_columns`
// (all non-key columns when empty). Idempotent: sending the same row twice leaves one row.
std::string UpsertSql(SqlDialect dialect, const MetaTable& table,
                      std::span<const std::string_view> update_columns = {});

// SELECT all columns (in table order) FROM t, without WHERE.
std::string SelectAllSql(const MetaTable& table);

// The UPDATE that finishes a run and computes its totals from the stage rows. Parameters:
// 1 status, 2 finished_at, 3 duration_ms, 4 error, 5 run_id. Changes 0 rows for an unknown run.
std::string FinishRunSql(SqlDialect dialect);

// A cell of a metadata row, in its bound form: null, an integer (kInt32, kInt64, kBool as 0/1)
// or text (kUuid, kText, kJson as JSON text, kTimestamp as ISO 8601 text).
using MetaValue = std::variant<std::monostate, int64_t, std::string>;

// One row of a metadata table: a value per column, in table order. Set/Get by name; an unknown
// name is a bug and aborts (tests cover every name the record code uses).
class MetaRow {
 public:
  explicit MetaRow(const MetaTable& table);

  const MetaTable& table() const { return *table_; }
  const std::vector<MetaValue>& values() const { return values_; }
  std::vector<MetaValue>& mutable_values() { return values_; }

  void Set(std::string_view column, MetaValue value);
  const MetaValue& Get(std::string_view column) const;

 private:
  const MetaTable* table_;
  std::vector<MetaValue> values_;
};

// The row's cells as text bind parameters, in column order (nullopt for NULL; booleans as
// "0"/"1", which PostgreSQL accepts for boolean), for libpq's text-format parameters.
std::vector<std::optional<std::string>> MetaRowTextParams(const MetaRow& row);

// Checks a row against its table: non-nullable columns are set, integers fit their type,
// allowed values hold, uuids and timestamps are well formed and JSON cells parse. Errors:
// InvalidArgument naming the table and the column (the Manager's 4xx messages).
Status ValidateMetaRow(const MetaRow& row);

// The row as a JSON object, one field per column (names as in the table; null cells are
// omitted; JSON cells embedded as values; booleans as true/false).
std::string MetaRowToJson(const MetaRow& row);

// Parses a JSON object into a row of `table`. Unknown fields, wrong JSON types or failed
// validation give InvalidArgument naming the field.
Result<MetaRow> MetaRowFromJson(const MetaTable& table, std::string_view json);

}  // namespace nilus::pipeline
