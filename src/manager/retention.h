// The Manager's retention job: archives runs to Iceberg before their rows expire, then deletes
// expired rows of the metadata tables (docs/manager.md, "Retention and archival").
//
// Expiry. A row of metadata table T (runs_info, extract_info, normalize_info, load_info)
// expires when its run's started_at < now - days(T); stage rows go by their run's start, not
// their own. Runs whose status is still `running` are neither archived nor deleted until their
// started_at < now - abandoned_running_days.
//
// Archival (archive.enabled). Runs started before now - min(days over the four tables) that are
// not archived yet are archived in batches of up to archive.batch_runs, oldest first by
// (started_at, run_id). A batch is crash-safe in three steps:
//   1. a row in nilus_archive_batches (state 'pending') records a fresh load id and the run
//      ids, committed before anything is written;
//   2. the runs and their stage rows (read in one repeatable-read transaction) become wide rows
//      (archive_schema.h) appended to the Iceberg table <archive.ns>.<archive.table> in one
//      snapshot carrying that load id; the namespace and the table are created on first use;
//   3. one transaction inserts the runs into nilus_archived_runs and marks the batch 'done'.
// Each pass first finishes the batches left 'pending' (by a crash or a failed pass) with their
// stored load id and run ids; when the load id is already in the table's snapshots the append
// is skipped and only step 3 runs, so nothing is archived twice.
//
// Deletion. Table by table, stage tables first and runs_info last, in statements that each
// delete at most batch_size rows (each its own autocommit transaction, so locks stay short),
// until a statement deletes fewer. With archival on, only rows of runs in nilus_archived_runs
// are deleted. Deleting a run also deletes what is left of its stage rows and its
// nilus_archived_runs row (foreign keys cascade). 'done' rows of nilus_archive_batches are
// pruned once older than runs_info's retention.
//
// Concurrency: a pass holds a session-level PostgreSQL advisory lock; a pass that finds it
// taken (another Manager is running retention on the same database) does nothing and reports
// lock_busy. Statements are parameterized; the Manager's own writes continue meanwhile.
//
// Test hook: when the environment variable NILUS_MANAGER_CRASH_AFTER_ARCHIVE_COMMIT is "1",
// the process kills itself with SIGKILL right after an Iceberg archive commit made by this pass
// succeeded and before its runs are marked archived (step 2 done, step 3 not): the crash test
// (tests/manager_retention) uses it. Never set it in production.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::manager {

inline constexpr std::string_view kArchiveBatchesTable = "nilus_archive_batches";
inline constexpr std::string_view kArchivedRunsTable = "nilus_archived_runs";
inline constexpr const char* kCrashAfterArchiveCommitEnv =
    "NILUS_MANAGER_CRASH_AFTER_ARCHIVE_COMMIT";

struct ArchiveOptions {
  bool enabled = false;
  // The warehouse root (a path or file:// URI) and the SQL catalog URI (sqlite:///... or
  // postgresql://...), as for a pipeline's destination.
  std::string warehouse;
  std::string catalog_uri;
  std::string ns = "nilus_meta";
  std::string table = "runs_archive";
  int batch_runs = 1000;  // runs per archive commit
};

struct RetentionOptions {
  int default_days = 90;
  // runs_info, extract_info, normalize_info, load_info -> days; a missing table has
  // default_days.
  std::map<std::string, int> table_days;
  int batch_size = 500;  // rows deleted per statement
  int abandoned_running_days = 365;
  ArchiveOptions archive;
};

// The largest number of days accepted anywhere (100 years).
inline constexpr int kMaxRetentionDays = 36500;

// The retention of metadata table `table` (its own value, else default_days).
int RetentionDays(const RetentionOptions& options, std::string_view table);

// Checks the options. Errors: InvalidArgument naming the key, e.g. "retention.extract_info_days
// (120) is longer than retention.runs_info_days (90): deleting a run deletes its stage rows".
// Days must be 1..kMaxRetentionDays, batch sizes >= 1, table names those of the metadata
// tables; with archive.enabled, warehouse, catalog, namespace and table must be set.
Status ValidateRetentionOptions(const RetentionOptions& options);

// CREATE TABLE IF NOT EXISTS statements for the job's bookkeeping tables:
//   nilus_archive_batches(batch_id bigint identity PRIMARY KEY, load_id text UNIQUE,
//                         run_ids uuid[], state 'pending'|'done', created_at, finished_at)
//   nilus_archived_runs(run_id uuid PRIMARY KEY REFERENCES runs_info ON DELETE CASCADE,
//                       load_id text, archived_at timestamptz)
// Idempotent. They need runs_info, so they run after the shared metadata migrations (the
// Manager runs them in its migration transaction).
std::vector<std::string> RetentionBookkeepingDdl();

// What one pass did.
struct RetentionReport {
  int64_t runs_archived = 0;  // runs marked archived by this pass
  int64_t archive_rows = 0;   // wide rows appended to the archive by this pass
  int archive_commits = 0;    // Iceberg snapshots committed by this pass
  // Rows deleted per metadata table by this pass's own statements (tables with none are
  // absent; stage rows removed by the cascade of a run's deletion are not counted).
  std::map<std::string, int64_t> deleted;
  // Another process held the retention lock: this pass did nothing.
  bool lock_busy = false;
};

class RetentionJob {
 public:
  // `database_url`: libpq URL (or key=value string) of the Manager's database, whose
  // search_path finds the metadata and bookkeeping tables (`public` by default). Validates the
  // options (errors as ValidateRetentionOptions); does no I/O: the database connection and the
  // archive catalog are opened by the first RunOnce that needs them, and kept.
  static Result<std::unique_ptr<RetentionJob>> Make(std::string database_url,
                                                    RetentionOptions options);
  ~RetentionJob();
  RetentionJob(const RetentionJob&) = delete;
  RetentionJob& operator=(const RetentionJob&) = delete;

  // One pass at time `now` (injectable for tests; the Manager passes MetaTimeNow()): finish the
  // pending archive batches, archive the runs about to expire, delete the expired rows (see the
  // file comment). An error stops the pass where it happened; what was committed stays and the
  // next pass resumes from there (a pending batch is finished, deletion restarts). Errors:
  // Unavailable (retryable) when the database or the catalog cannot be reached; NotFound when
  // the tables are missing (the migrations did not run); catalog, FileIO and sink errors of the
  // archive. A broken connection is reopened by the next pass.
  //
  // Not thread-safe: one pass at a time per job (the Manager runs it on one thread).
  Result<RetentionReport> RunOnce(pipeline::MetaTime now);

 private:
  struct Rep;
  explicit RetentionJob(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus::manager
