// The records a run reports: one RunInfo per run, and per table one ExtractInfo, NormalizeInfo
// and LoadInfo. They map one-to-one onto the tables of metadata_schema.h (runs_info,
// extract_info, normalize_info, load_info); docs/run-metadata.md describes every field.
//
// A stage record holds the table's cumulative state for that stage. Sending it again replaces
// the stored row (the key is run_id + table_name), so a stage may report progress while it runs
// and a spool may re-send without creating duplicates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::pipeline {

enum class RunStatus { kRunning, kSucceeded, kFailed, kPartial };
enum class RunMode { kBatch, kCdc };
enum class StageStatus { kRunning, kSucceeded, kFailed, kSkipped };

// The stored spellings: "running", "succeeded", "failed", "partial", "batch", "cdc", "skipped".
std::string_view RunStatusName(RunStatus s);
std::string_view RunModeName(RunMode m);
std::string_view StageStatusName(StageStatus s);
Result<RunStatus> ParseRunStatus(std::string_view text);
Result<RunMode> ParseRunMode(std::string_view text);
Result<StageStatus> ParseStageStatus(std::string_view text);

// runs_info. Filled by the runner at the start; the totals are computed by FinishRun from the
// stage rows, so the runner never sends them.
struct RunInfo {
  std::string run_id;  // a UUID, canonical lower-case text
  std::string pipeline;
  RunStatus status = RunStatus::kRunning;
  RunMode mode = RunMode::kBatch;
  MetaTime started_at{};
  std::optional<MetaTime> finished_at;
  std::optional<int64_t> duration_ms;
  std::optional<std::string> error;
  std::string nilus_version;
  std::string host;
  std::string config_hash;  // hash of the resolved pipeline config (secrets excluded)
  std::string load_id;      // the Iceberg load id of this run
  bool full_refresh = false;
  int32_t tables_total = 0;
  // Totals, set by FinishRun.
  int32_t tables_failed = 0;
  int64_t rows_extracted = 0;
  int64_t bytes_extracted = 0;
  int64_t rows_loaded = 0;
  int64_t bytes_loaded = 0;
  int64_t files_loaded = 0;
};

// The end of a run. finished_at is part of the record (not taken at delivery), so a re-sent
// finish stores the same values.
struct RunFinish {
  std::string run_id;
  RunStatus status = RunStatus::kSucceeded;
  MetaTime finished_at{};
  std::optional<std::string> error;
};

// The fields every stage row has. duration_ms, when unset, is derived from the two times.
struct StageInfo {
  std::string run_id;
  std::string table_name;  // the destination table name inside the namespace ("orders")
  StageStatus status = StageStatus::kRunning;
  MetaTime started_at{};
  std::optional<MetaTime> finished_at;
  std::optional<int64_t> duration_ms;
  int64_t row_count = 0;
  int64_t byte_count = 0;
  int64_t file_count = 0;
  std::optional<std::string> error;
};

// extract_info. row_count/byte_count/file_count: read from the source.
struct ExtractInfo : StageInfo {
  std::string source_kind;   // postgres | sqlite | csv | jsonl
  std::string source_table;  // "public.orders", or the path/glob of a file source
  int32_t chunks = 0;        // CTID ranges or file chunks read
  std::optional<std::string> cursor_column;
  std::optional<std::string> cursor_from;  // the incremental range read, as text
  std::optional<std::string> cursor_to;
  std::optional<std::string> lsn_from;  // CDC: "16/B374D848"
  std::optional<std::string> lsn_to;
};

struct SchemaChangeRecord {
  std::string kind;    // add_table | add_column | widen_type | add_variant | ...
  std::string column;  // empty for table-level changes
  std::string from_type;
  std::string to_type;
  bool operator==(const SchemaChangeRecord&) const = default;
};

struct ChildTableRecord {
  std::string table_name;
  int64_t row_count = 0;
  bool operator==(const ChildTableRecord&) const = default;
};

// normalize_info, one row per root table. row_count: root rows handed to load; byte_count:
// their in-memory size when known; file_count: spill files.
struct NormalizeInfo : StageInfo {
  int64_t rows_discarded = 0;    // schema contract discard_row
  int64_t values_discarded = 0;  // schema contract discard_value
  int32_t columns_added = 0;
  std::vector<std::string> variant_columns;  // e.g. "price__v_string"
  std::vector<ChildTableRecord> child_tables;
  std::vector<SchemaChangeRecord> schema_changes;
};

// load_info, one row per destination table (child tables included). row_count / byte_count /
// file_count: rows, bytes and files written (data and delete files).
struct LoadInfo : StageInfo {
  std::string destination_table;            // "shop.orders"
  std::optional<std::string> parent_table;  // set for child tables
  std::string write_disposition;            // append | replace | merge
  std::string load_id;
  std::optional<int64_t> snapshot_id;
  std::optional<int64_t> sequence_number;
  int64_t rows_deleted = 0;       // merge deletes; replace: rows of the replaced snapshot
  int64_t delete_file_count = 0;  // equality/position delete files among file_count
  std::optional<std::string> committed_cursor;  // the cursor stored with the commit
  std::optional<std::string> committed_lsn;     // CDC: the LSN stored with the commit
};

// Conversions to and from table rows. ToRow validates: a bad UUID, an empty pipeline or table
// name, or a stage that finished before it started gives InvalidArgument naming the field.
Result<MetaRow> ToRow(const RunInfo& r);
Result<MetaRow> ToRow(const ExtractInfo& r);
Result<MetaRow> ToRow(const NormalizeInfo& r);
Result<MetaRow> ToRow(const LoadInfo& r);
Result<RunInfo> RunInfoFromRow(const MetaRow& row);
Result<ExtractInfo> ExtractInfoFromRow(const MetaRow& row);
Result<NormalizeInfo> NormalizeInfoFromRow(const MetaRow& row);
Result<LoadInfo> LoadInfoFromRow(const MetaRow& row);

// The runs_info columns BeginRun may overwrite when the run exists already (a re-sent begin
// must not undo a finish): everything except status, finish fields and totals.
std::span<const std::string_view> RunBeginColumns();

}  // namespace nilus::pipeline
