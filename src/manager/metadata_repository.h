// The Manager's PostgreSQL repository for run metadata: migrations, the idempotent writes of
// the API and its queries. Tables and statements come from the shared definition
// (pipeline/metadata/metadata_schema.h), so they match the local SQLite store column for column.
//
// Records are MetaRows (validated by the caller with MetaRowFromJson); reads return JSON text
// in the same shape (MetaRowToJson), so the API round-trips exactly what it stored.
//
// Thread-safe: every call borrows its own connection from the pool.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "manager/pg_pool.h"
#include "pipeline/metadata/metadata_schema.h"

namespace nilus::manager {

// What a stage write changed, for the metrics: the growth of the counts and, when the record
// just finished, its duration.
struct StageWriteEffect {
  std::string pipeline;
  std::string table_name;
  int64_t rows_added = 0;
  int64_t bytes_added = 0;
  std::optional<double> finished_seconds;
};

struct RunFinishEffect {
  std::string pipeline;
  bool newly_finished = false;  // false when the run was finished already (a re-sent finish)
};

struct RunListFilter {
  std::optional<std::string> pipeline;
  std::optional<std::string> status;
  std::optional<pipeline::MetaTime> from;                           // started_at >= from
  std::optional<pipeline::MetaTime> before;                         // started_at < before
  std::optional<std::pair<pipeline::MetaTime, std::string>> after;  // keyset: the last run seen
  int limit = 50;
};

struct RunPage {
  std::vector<std::string> runs_json;  // runs_info rows as JSON objects, newest first
  std::optional<std::string> next;     // page token "started_at,run_id" when more follow
};

struct RunCount {
  std::string pipeline;
  std::string status;
  int64_t runs = 0;
};

class MetadataRepository {
 public:
  explicit MetadataRepository(PgPool* pool) : pool_(pool) {}

  // Brings the schema up to MetadataSchemaVersion() in one transaction under an advisory lock
  // (several Managers may start at once), then runs `extra_ddl` (idempotent statements of the
  // Manager's own tables). Applying again changes nothing. Errors: InvalidArgument when the
  // database was migrated by a newer Nilus; Unavailable when it cannot be reached.
  Status Migrate(const std::vector<std::string>& extra_ddl = {});
  // The applied schema version (0: none).
  Result<int> SchemaVersion();

  // Creates the run, or refreshes its start fields (a re-sent create never undoes a finish).
  Status BeginRun(const pipeline::MetaRow& run);
  // Errors: NotFound for an unknown run.
  Result<RunFinishEffect> FinishRun(const std::string& run_id, const std::string& status,
                                    pipeline::MetaTime finished_at,
                                    const std::optional<std::string>& error);
  // Inserts or replaces each row of `table` (a stage table) in one transaction. Errors:
  // NotFound naming the record index when its run does not exist (nothing is stored).
  Result<std::vector<StageWriteEffect>> UpsertStages(const pipeline::MetaTable& table,
                                                     const std::vector<pipeline::MetaRow>& rows);

  Result<RunPage> ListRuns(const RunListFilter& filter);
  // {"run": {...}, "extract": [...], "normalize": [...], "load": [...]}; nullopt: unknown run.
  Result<std::optional<std::string>> GetRunJson(const std::string& run_id);
  // {"days": N, "pipelines": [...]} (docs/manager.md); with `pipeline`, only that one.
  Result<std::string> PipelineSummariesJson(int days, const std::optional<std::string>& pipeline);
  Result<std::vector<RunCount>> CountRuns();

 private:
  PgPool* pool_;
};

// A row of `table` from columns [first, first + table.columns.size()) of a result (text
// format). Exposed for the retention job and tests.
Result<pipeline::MetaRow> MetaRowFromPg(const pipeline::MetaTable& table, const PgRows& rows,
                                        int row, int first_column = 0);

}  // namespace nilus::manager
