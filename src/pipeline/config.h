// The pipeline file (`nilus run PIPELINE.yaml`): a typed model, and a loader that validates it.
//
// The loader reports every problem it finds, not only the first, each with the file, line,
// column and YAML path ("pipeline.yaml:7:5: source.tables[1].write_disposition: 'upsert' is not
// one of append, replace, merge"). `${VAR}` in values is read from the environment; an unset
// variable is an error. Defaults are the member initializers below, except those derived from
// other keys (namespace, catalog, slot, publication), which the loader fills in. They are
// documented in docs/configuration.md ("Pipeline YAML"); the two must agree.
//
// Secrets: URLs may hold passwords (usually through `${VAR}`). Print them only through
// RedactUrl() or the Redacted*() accessors; error messages of this module already do.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "pipeline/env_expand.h"
#include "storage/file_io.h"

namespace nilus::pipeline {

enum class SourceKind { kPostgres, kSqlite, kCsv, kJsonl };
enum class WriteDisposition { kAppend, kReplace, kMerge };
// Schema contract modes (dlt's names): what happens when data does not fit the schema.
enum class ContractMode { kEvolve, kFreeze, kDiscardRow, kDiscardValue };
// A CSV row that cannot be parsed (e.g. too many fields).
enum class BadRowPolicy { kFail, kQuarantine };
// An unconstrained PostgreSQL numeric holding NaN or +-Infinity: null plus a warning, or the
// whole column as string.
enum class NumericNanPolicy { kNull, kString };

// The YAML spellings: "postgres", "merge", "discard_row", "quarantine", "null", ...
std::string_view SourceKindName(SourceKind kind);
std::string_view WriteDispositionName(WriteDisposition d);
std::string_view ContractModeName(ContractMode mode);
std::string_view BadRowPolicyName(BadRowPolicy policy);
std::string_view NumericNanPolicyName(NumericNanPolicy policy);

// Schema contracts for the three kinds of change. An unset entry inherits: table -> pipeline
// -> evolve. For `tables`, discard_value acts as discard_row (a new table has no old values).
struct ContractConfig {
  std::optional<ContractMode> tables;
  std::optional<ContractMode> columns;
  std::optional<ContractMode> data_type;
};

// The contract in force for one table, with every entry resolved.
struct EffectiveContract {
  ContractMode tables = ContractMode::kEvolve;
  ContractMode columns = ContractMode::kEvolve;
  ContractMode data_type = ContractMode::kEvolve;
};

// `incremental.lag`: re-read a window behind the stored cursor, to catch rows committed late.
// A duration for date/time cursors ("10m"), a number for numeric ones (500).
struct CursorLag {
  enum class Kind { kDuration, kNumber };
  Kind kind = Kind::kDuration;
  std::chrono::milliseconds duration{0};  // kDuration
  double number = 0;                      // kNumber
  std::string text;                       // as written, for messages
};

struct IncrementalConfig {
  std::string cursor;  // a column name; required
  // Cursor bounds as written; their type is the cursor column's, known only at run time.
  std::optional<std::string> initial_value;  // the first run starts here (inclusive)
  std::optional<std::string> end_value;      // a bounded backfill stops here (exclusive)
  std::optional<CursorLag> lag;
};

// Rows whose `column` equals `value` are deletes under merge (e.g. `_deleted` = true).
struct DeleteMarker {
  std::string column;
  std::string value = "true";
};

// A hint that overrides an inferred or source column type.
// YAML: `type: decimal(12,2)`, or `type: decimal` with `precision`/`scale`; precision alone
// means a decimal too.
struct ColumnHint {
  TypePtr type;                  // null: keep the inferred or source type
  std::string type_text;         // as written: "decimal(12,2)", "timestamptz"
  std::optional<bool> nullable;  // false: the Iceberg field is required
};

// One partition field: "day(created_at)", "bucket(16, id)", "identity(region)" or a bare
// column name (identity).
struct PartitionFieldConfig {
  std::string transform;  // Iceberg spelling: identity, year, month, day, hour, bucket[N], ...
  std::string column;     // the source column
  int32_t argument = 0;   // N of bucket[N], W of truncate[W]; 0 otherwise
  std::string text;       // as written
};

struct CsvColumn {
  std::string name;
  TypePtr type;
  std::string type_text;
};

struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  bool header = true;
  // A given schema, in file order. Empty: infer types from a sample. Without a header row the
  // schema names the columns; without either they are named column_1, column_2, ...
  std::vector<CsvColumn> schema;
  std::optional<BadRowPolicy> on_bad_row;  // unset: options.on_bad_row
};

struct JsonOptions {
  std::optional<int> max_nesting;  // unset: options.max_nesting
};

struct TableConfig {
  std::string name;  // postgres: [schema.]table; sqlite: table; files: the table to create
  std::string path;  // csv/jsonl only: a file or a glob
  std::vector<std::string> primary_key;  // empty: the source's own key (postgres/sqlite) or none
  WriteDisposition write_disposition = WriteDisposition::kAppend;
  std::optional<IncrementalConfig> incremental;
  std::optional<DeleteMarker> delete_marker;  // merge only
  std::map<std::string, ColumnHint> columns;
  std::vector<PartitionFieldConfig> partition;
  ContractConfig contracts;
  CsvOptions csv;    // kind csv only
  JsonOptions json;  // kind jsonl only

  // The Iceberg table name inside the destination namespace: the part after the last dot,
  // lower-cased ("public.Orders" -> "orders").
  std::string DestinationName() const;
};

struct SourceConfig {
  SourceKind kind = SourceKind::kPostgres;
  std::string url;   // postgres: postgresql://... (may hold a password: use RedactedUrl())
  std::string path;  // sqlite: the database file
  std::vector<TableConfig> tables;

  std::string RedactedUrl() const;
};

struct DestinationConfig {
  std::string warehouse;  // a path or file:// URI
  // sqlite:///PATH or postgresql://...; default sqlite:///<warehouse>/catalog.db for a local
  // warehouse.
  std::string catalog;
  std::string ns;  // YAML `namespace`; default: the pipeline name. Dotted for nested levels.

  std::string RedactedCatalog() const;
};

struct CdcConfig {
  std::string slot;         // logical replication slot; default nilus_<name>
  std::string publication;  // default nilus_<name>
  std::chrono::milliseconds flush_interval{5000};
  // Emit pg_logical_emit_message this often so an idle database's slot still advances;
  // unset: off.
  std::optional<std::chrono::milliseconds> heartbeat;
  std::optional<int> metrics_port;  // Prometheus /metrics; unset: off
  // Partition the change logs by this transform of commit_time ("day", "hour", "month",
  // "year"); empty: unpartitioned. Applies when a change log is created.
  std::string changelog_partition;
};

struct ResourceConfig {
  int64_t memory_budget = int64_t{512} << 20;     // bytes held in flight by one run
  int64_t target_file_size = int64_t{128} << 20;  // a data file is rolled past this
  int64_t row_group_size = int64_t{64} << 20;     // in-memory bytes per Parquet row group
  int worker_threads = 0;                         // 0: one per hardware thread
  int pg_connections = 4;                         // parallel COPY connections per table
};

struct PolicyOptions {
  BadRowPolicy on_bad_row = BadRowPolicy::kFail;
  NumericNanPolicy numeric_nan = NumericNanPolicy::kNull;
  std::optional<int> max_nesting;  // unset: no cap
};

struct PipelineConfig {
  std::string name;
  SourceConfig source;
  DestinationConfig destination;
  std::optional<CdcConfig> cdc;  // present: a CDC run
  std::string manager;           // Manager URL; empty: local SQLite metadata store only
  // Bearer token for the Manager (`manager_token`, else $NILUS_MANAGER_TOKEN). A secret: never
  // print it.
  std::string manager_token;
  // How long the end of a run waits for the Manager spool to drain (`manager_flush_timeout`).
  std::chrono::milliseconds manager_flush_timeout{10000};
  ContractConfig contracts;
  ResourceConfig resources;
  PolicyOptions options;

  EffectiveContract ContractFor(const TableConfig& table) const;
  BadRowPolicy OnBadRowFor(const TableConfig& table) const;
  std::optional<int> MaxNestingFor(const TableConfig& table) const;
  std::string RedactedManager() const;
};

// One problem found in a pipeline file. line/column are 1-based; 0 when unknown.
struct ConfigError {
  std::string path;  // "source.tables[1].write_disposition"; empty for a YAML syntax error
  int line = 0;
  int column = 0;
  std::string message;

  // "<source_name>:<line>:<column>: <path>: <message>".
  std::string ToString(std::string_view source_name) const;
};

// Reads the process environment (getenv).
EnvLookup ProcessEnv();

// Parses and validates a pipeline file's text. `source_name` names the file in messages.
// Every error found is appended to `errors` when it is non-null, sorted by line and column;
// the returned Status (InvalidArgument) lists them all too, one per line (ConfigError::ToString)
// after a "<source_name>: N errors" line. Never throws: yaml-cpp's exceptions become errors.
// Thread-safe if `env` is.
Result<PipelineConfig> ParsePipelineConfig(std::string_view text, std::string_view source_name,
                                           const EnvLookup& env = ProcessEnv(),
                                           std::vector<ConfigError>* errors = nullptr);

// Reads `path` through `io` (not owned) and parses it as above. NotFound / IOError when the
// file cannot be read.
Result<PipelineConfig> LoadPipelineConfig(FileIO* io, const std::string& path,
                                          const EnvLookup& env = ProcessEnv(),
                                          std::vector<ConfigError>* errors = nullptr);

// The same on the local file system.
Result<PipelineConfig> LoadPipelineConfig(const std::string& path,
                                          const EnvLookup& env = ProcessEnv(),
                                          std::vector<ConfigError>* errors = nullptr);

// A URL with its password masked: "postgresql://app:***@db:5432/shop"; a "password=..."
// query or conninfo value becomes "password=***". Other text is returned unchanged.
std::string RedactUrl(std::string_view url);

// Parses an Iceberg primitive type name: boolean, int, long, float, double, decimal(P,S), date,
// time, timestamp, timestamptz, string, uuid, fixed[L], binary. Case-insensitive.
Result<TypePtr> ParseIcebergPrimitiveType(std::string_view text);

}  // namespace nilus::pipeline
