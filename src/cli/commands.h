// Entry points of the `nilus` subcommands. Each returns the process exit code and prints its
// own errors to stderr.
#pragma once

#include <chrono>
#include <string>

#include "core/result.h"

namespace nilus::cli {

// `nilus parquet inspect FILE [--json]`: schema, row groups, encodings, compression and
// statistics of a Parquet file.
int RunParquetInspect(const std::string& path, bool json);

// `nilus parquet demo OUT.parquet`: writes a sample file covering every Iceberg type.
int RunParquetDemo(const std::string& out_path);

// Options shared by the `nilus table` verbs.
struct TableCliOptions {
  std::string catalog_uri;             // --catalog: sqlite:///file.db or postgresql://...
  std::string catalog_name = "nilus";  // --catalog-name
  // --warehouse; empty: the directory of a sqlite catalog file (required for other catalogs).
  std::string warehouse;
  bool json = false;  // --json
};

// `nilus table list`: namespaces (all, or `ns` and those below it) and their tables.
int RunTableList(const TableCliOptions& options, const std::string& ns);
// `nilus table show NS.TABLE`: location, schema, spec, properties, current snapshot and the
// live file and record counts read through its manifests.
int RunTableShow(const TableCliOptions& options, const std::string& ident);
// `nilus table history NS.TABLE`: the current snapshot and its ancestors, newest first.
int RunTableHistory(const TableCliOptions& options, const std::string& ident);
// `nilus table orphans NS.TABLE`: deletes (or lists, on a dry run) files under the table
// location that no snapshot references and that are older than `older_than`.
int RunTableOrphans(const TableCliOptions& options, const std::string& ident,
                    const std::string& older_than, bool dry_run);

// `nilus table expire NS.TABLE`: removes snapshots older than `older_than` (empty: the table's
// history.expire.max-snapshot-age-ms), keeping the newest `retain_last` (0: the table's
// history.expire.min-snapshots-to-keep), and deletes the files only they reached.
int RunTableExpire(const TableCliOptions& options, const std::string& ident,
                   const std::string& older_than, int retain_last, bool dry_run);
// `nilus table compact NS.TABLE`: rewrites small data files (and files with row-level deletes)
// into files of `target_size` (empty: the table's write.target-file-size-bytes), optionally
// only in the partitions `where` selects ("field=value,...").
int RunTableCompact(const TableCliOptions& options, const std::string& ident,
                    const std::string& target_size, const std::string& where, int min_input_files);

// `nilus run PIPELINE.yaml` options.
struct RunCliOptions {
  std::string path;
  bool dry_run = false;
  bool full_refresh = false;
  std::string log_format = "text";  // text | json
  std::string progress = "auto";    // auto | always | never
  // CDC only: "current" (the source's WAL position at start) or an LSN "X/Y"; empty: run
  // until SIGINT/SIGTERM.
  std::string until_lsn;
};

// `nilus run`: runs a batch pipeline and prints a summary per table, or a CDC pipeline (one with
// a cdc: section) until SIGINT/SIGTERM or --until-lsn. Exit code 0 when every
// table loaded, 1 when a table failed (or the catalog could not be opened), 2 for an invalid
// pipeline file.
int RunPipeline(const RunCliOptions& options);

// `nilus validate PIPELINE.yaml`: prints every config error with its YAML path and returns 1,
// or prints "ok" and returns 0.
int RunValidate(const std::string& path);

// `nilus manager` options.
struct ManagerCliOptions {
  std::string config_path;      // --config; empty: environment variables only
  bool retention_once = false;  // --retention-once: one retention/archival pass, then exit
  bool check_config = false;    // --check-config: print the resolved configuration and exit
  // --now (with --retention-once): the time the pass takes as now, ISO 8601; empty: the clock.
  // For tests and for catching up on a schedule.
  std::string now;
};

// `nilus manager`: serves the Manager until SIGTERM/SIGINT (exit 0 after a graceful stop), or
// runs one retention pass. Exit code 2 for an invalid configuration, 1 for other failures.
int RunManager(const ManagerCliOptions& options);

// "512MiB", "128MB", "1GiB", "1000" (bytes). InvalidArgument otherwise.
Result<int64_t> ParseSize(const std::string& text);

// "3d", "12h", "30m", "45s", "500ms" or "0". InvalidArgument otherwise.
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);

}  // namespace nilus::cli
