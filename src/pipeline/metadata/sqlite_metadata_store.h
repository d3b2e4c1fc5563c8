// The local run-metadata store: a SQLite database, by default <warehouse>/_nilus/metadata.db,
// holding runs_info, extract_info, normalize_info and load_info (metadata_schema.h).
//
// Open creates the file and its directories, turns on WAL journaling (readers such as sqlite3
// or DuckDB do not block a running pipeline), a busy timeout (several pipelines may share one
// warehouse) and foreign keys, then applies the versioned migrations that are missing (recorded
// in nilus_schema_version; re-applying is a no-op).
//
// Thread-safe: one connection behind a mutex. Every call is one transaction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "pipeline/metadata/metadata_sink.h"

namespace nilus::pipeline {

// Keyset pagination over runs ordered by (started_at, run_id) descending: pass the last run of
// the previous page.
struct RunPageKey {
  MetaTime started_at{};
  std::string run_id;
};

struct RunListQuery {
  std::optional<std::string> pipeline;
  std::optional<RunStatus> status;
  std::optional<MetaTime> started_from;    // inclusive
  std::optional<MetaTime> started_before;  // exclusive
  std::optional<RunPageKey> after;
  int limit = 50;  // clamped to 1..1000
};

// One run with all its stage rows, each list ordered by table_name.
struct RunDetail {
  RunInfo run;
  std::vector<ExtractInfo> extract;
  std::vector<NormalizeInfo> normalize;
  std::vector<LoadInfo> load;
};

class SqliteMetadataStore final : public MetadataSink {
 public:
  // `path` is a file path (parent directories are created) or ":memory:".
  // Errors: IOError when the file cannot be created or opened; Unavailable (retryable) when
  // another process holds the lock past the busy timeout; InvalidArgument when the database
  // was migrated by a newer Nilus (its schema version is above ours).
  static Result<std::unique_ptr<SqliteMetadataStore>> Open(const std::string& path);

  // <warehouse>/_nilus/metadata.db, for a local warehouse path or file:// URI.
  static std::string DefaultPath(std::string_view warehouse);

  ~SqliteMetadataStore() override;
  SqliteMetadataStore(const SqliteMetadataStore&) = delete;
  SqliteMetadataStore& operator=(const SqliteMetadataStore&) = delete;

  Status BeginRun(const RunInfo& run) override;
  Status RecordExtract(std::span<const ExtractInfo> records) override;
  Status RecordNormalize(std::span<const NormalizeInfo> records) override;
  Status RecordLoad(std::span<const LoadInfo> records) override;
  Status FinishRun(const RunFinish& finish) override;

  // Applies missing migrations; Open already did. Safe to call again.
  Status Migrate();
  // The highest applied migration (0 for an empty database).
  Result<int> SchemaVersion();

  // Runs newest first (see RunListQuery).
  Result<std::vector<RunInfo>> ListRuns(const RunListQuery& query);
  Result<std::vector<RunInfo>> ListRuns(std::string_view pipeline, int limit);
  // Errors: NotFound for an unknown run.
  Result<RunDetail> GetRun(std::string_view run_id);

  const std::string& path() const;

 private:
  struct Rep;
  explicit SqliteMetadataStore(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace nilus::pipeline
