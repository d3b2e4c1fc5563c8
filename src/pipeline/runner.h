// The batch pipeline runner behind `nilus run`: per table, source -> Normalize -> load, tables in
// parallel, with retries, idempotent load ids, incremental cursors and run metadata.
//
//   NILUS_ASSIGN_OR_RAISE(auto config, LoadPipelineConfig("pipeline.yaml"));
//   auto sources = MakeDefaultSourceFactory(&io);             // concrete_factories.h
//   auto sinks = MakeIcebergSinkFactory(catalog.get(), ns);   // concrete_factories.h
//   PipelineRunner runner(config, sources.get(), sinks.get(), options);
//   NILUS_ASSIGN_OR_RAISE(RunSummary summary, runner.Run());
//
// Semantics (docs/running.md has the user's view):
//   - Each table is loaded as one round per destination table (root and child tables), committed
//     children first, root last, each with the table's load id "<run id>/<table>" in the
//     snapshot summary. Merge rounds larger than the memory share are committed in chunks
//     ("<load id>/c<N>", cursor not advanced) before the final round.
//   - A journal <state_dir>/<pipeline>.journal.json holds the run id while a run is in progress.
//     A rerun after a crash reuses it, so the load ids are the same: a table whose root already
//     holds its load id is skipped, and a child table's round that was committed is not written
//     again (the sink reports already_committed). The journal is removed when every table
//     succeeded.
//   - Incremental tables read the cursor from the destination (summary property
//     "nilus.cursor"), never from local state; --full-refresh ignores it and replaces the table.
//   - Retryable errors (Status::retryable()) are retried per table with exponential backoff;
//     other errors fail that table only. The run's status is failed when any table failed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/column_batch.h"
#include "core/document_batch.h"
#include "core/result.h"
#include "core/schema.h"
#include "core/value.h"
#include "load/iceberg_sink.h"
#include "load/sink.h"
#include "normalize/normalizer.h"
#include "pipeline/config.h"
#include "pipeline/metadata/metadata_sink.h"

namespace nilus::pipeline {

// The summary property holding a table's incremental cursor (the newest cursor value loaded).
inline constexpr std::string_view kCursorProperty = "nilus.cursor";

// One unit of source data: exactly one of the three members is set.
struct SourceChunk {
  std::unique_ptr<ColumnBatch> typed;   // postgres, sqlite
  std::unique_ptr<DocumentBatch> docs;  // jsonl
  std::unique_ptr<TextBatch> text;      // csv
};

// The range an incremental table reads. Values are text in the cursor column's own form.
struct CursorRange {
  std::optional<std::string> from;  // unset: from the start
  bool from_inclusive = false;
  std::optional<std::string> to;  // exclusive; unset: no end
};

// A table's rows from its source. Not thread-safe.
class SourceStream {
 public:
  virtual ~SourceStream() = default;
  // The next chunk; false once the source is exhausted.
  virtual Result<bool> Next(SourceChunk* out) = 0;
  virtual int64_t bytes_read() const = 0;
  virtual int64_t rows_read() const = 0;
  // Bytes the source will read in total when known (file sizes, table size estimates); -1.
  virtual int64_t total_bytes() const = 0;
  // Primary key the source declares (postgres/sqlite); empty when none.
  virtual std::vector<std::string> primary_key() const = 0;
  // Where the rows come from, for metadata ("public.orders", "./data/*.jsonl").
  virtual std::string description() const = 0;
};

// Opens a table's source. Implementations must be thread-safe (tables open in parallel).
class SourceFactory {
 public:
  virtual ~SourceFactory() = default;
  // `range` is set only for incremental tables. NotFound names a missing table or file.
  virtual Result<std::unique_ptr<SourceStream>> Open(const PipelineConfig& config,
                                                     const TableConfig& table,
                                                     const std::optional<CursorRange>& range) = 0;
};

// Opens destination tables. Thread-safe.
class SinkFactory {
 public:
  virtual ~SinkFactory() = default;
  // A sink for destination table `name` (inside the pipeline's namespace).
  virtual Result<std::unique_ptr<load::Sink>> Open(const std::string& name,
                                                   const load::IcebergSinkOptions& options) = 0;
  // The current schema of an existing destination table; nullptr when it does not exist.
  virtual Result<SchemaPtr> ExistingSchema(const std::string& name) = 0;
  // Names of the existing tables of the namespace.
  virtual Result<std::vector<std::string>> ListTables() = 0;
  // "<namespace>.<name>", for messages and metadata.
  virtual std::string QualifiedName(const std::string& name) const = 0;
};

// Live numbers of one table, for progress output.
struct TableProgress {
  std::string table;
  std::string state;  // "waiting", "extracting", "committing", "done", "failed", "skipped"
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t total_bytes = -1;
  double elapsed_seconds = 0;
};

// Per destination table (root or child) of a finished table.
struct OutputTableResult {
  std::string table;
  std::string parent_table;  // empty for the root
  int64_t rows_loaded = 0;
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t keys_deleted = 0;
  std::optional<int64_t> snapshot_id;
  bool already_committed = false;
};

struct TableRunResult {
  std::string table;  // destination (root) name
  std::string source;
  bool ok = false;
  bool skipped = false;  // its load id was committed by an earlier attempt of this run
  std::string error;     // "table 'orders': <cause>" when !ok
  int attempts = 0;
  int64_t rows_extracted = 0;
  int64_t bytes_extracted = 0;
  std::optional<std::string> cursor_from;
  std::optional<std::string> cursor_to;  // the cursor committed
  std::vector<normalize::SchemaChange> changes;
  std::vector<OutputTableResult> outputs;  // root first
  double extract_seconds = 0;              // in source Next() calls
  double normalize_seconds = 0;
  double load_seconds = 0;  // in sink Write and Commit
  double total_seconds = 0;
  // Dry run only: the schema of each output table after normalizing the sample.
  std::vector<std::pair<std::string, SchemaPtr>> dry_run_schemas;
};

struct RunSummary {
  std::string run_id;
  bool resumed = false;  // the journal of an unfinished run was found and reused
  bool dry_run = false;
  std::vector<TableRunResult> tables;  // in config order
  double seconds = 0;
  bool ok() const;
  int failed_tables() const;
};

struct RunnerOptions {
  bool dry_run = false;
  bool full_refresh = false;
  // Rows normalized from each table's source on a dry run.
  int64_t dry_run_sample_rows = 1000;
  // Tables loaded at once; 0: resources.worker_threads, else hardware threads (at most the
  // number of tables).
  int table_workers = 0;
  // Source chunks queued between extract and normalize/load per table.
  int queue_chunks = 4;
  // Retries of retryable errors per table.
  int max_attempts = 5;
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  // Where the journal lives (normally <warehouse>/_nilus); empty: no journal.
  std::string state_dir;
  // Run metadata (not owned); nullptr: none. Its errors are logged, never fail the run.
  MetadataSink* metadata = nullptr;
  // Called about every progress_interval from a separate thread with every table's numbers.
  std::function<void(const std::vector<TableProgress>&)> on_progress;
  std::chrono::milliseconds progress_interval{1000};
  // Tests: called after each destination table commit; an error stops the process's run
  // right there as if it crashed (the journal stays, later commits do not happen).
  std::function<Status(const std::string& table)> after_commit_hook;
};

class PipelineRunner {
 public:
  // `sources` and `sinks` must outlive the runner. No I/O here.
  PipelineRunner(PipelineConfig config, SourceFactory* sources, SinkFactory* sinks,
                 RunnerOptions options);
  ~PipelineRunner();

  // Runs every table. Returns an error only for problems of the run as a whole (the journal
  // cannot be written); a table's failure is in its TableRunResult.
  Result<RunSummary> Run();

 private:
  struct Shared;
  Status RunTable(size_t index, Shared* shared, TableRunResult* result);
  Status RunTableOnce(size_t index, Shared* shared, TableRunResult* result);
  Status DryRunTable(size_t index, TableRunResult* result);

  PipelineConfig config_;
  SourceFactory* sources_;
  SinkFactory* sinks_;
  RunnerOptions options_;
};

// "<load id of the run>/<table>": the load id written with a table's commits.
std::string TableLoadId(const std::string& run_id, const std::string& table);

// The lower bound of the next incremental read: `cursor` minus `lag` (numbers: minus the
// number; dates and timestamps: minus the duration), inclusive when a lag is given.
// InvalidArgument when the cursor text and the lag do not fit together.
Result<CursorRange> ComputeCursorRange(const IncrementalConfig& inc,
                                       const std::optional<std::string>& stored_cursor);

// Parses cursor text (as stored in the summary) into a Value of a cursor column's type (int
// and long give a long Value, float and double a double). InvalidArgument when it does not fit.
Result<Value> CursorTextToValue(const TypePtr& type, const std::string& text);

}  // namespace nilus::pipeline
