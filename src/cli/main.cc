// The `nilus` command line. The only place that names concrete sources, sinks and backends.
#include <malloc.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/logging.h"

int main(int argc, char** argv) {
  // Column batches and Parquet pages are large, short-lived buffers, allocated and freed at a
  // steady rate. glibc would give each one fresh pages from mmap (or trim the freed heap) and
  // fault them in again, which cost a sixth of a PostgreSQL load's CPU in page faults. Keeping
  // them on the heap, untrimmed, lets the next batch reuse the same memory; the memory budget
  // still bounds how much is live.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"Nilus: moves data from operational systems into an Apache Iceberg lakehouse"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();

  auto* parquet = app.add_subcommand("parquet", "Write and inspect Parquet files");
  parquet->require_subcommand(1);

  std::string inspect_path;
  bool inspect_json = false;
  auto* inspect = parquet->add_subcommand("inspect", "Print a Parquet file's footer");
  inspect->add_option("FILE", inspect_path, "Parquet file")->required();
  inspect->add_flag("--json", inspect_json, "Print JSON instead of text");

  std::string demo_path;
  auto* demo = parquet->add_subcommand("demo", "Write a sample file covering every type");
  demo->add_option("OUT", demo_path, "Output Parquet file")->required();

  auto* table = app.add_subcommand(
      "table",
      "Inspect Iceberg tables in a SQL catalog and remove orphan files.\n"
      "The catalog is --catalog URI (sqlite:///relative.db, sqlite:////absolute.db or\n"
      "postgresql://user:pass@host:port/db) with --catalog-name (default nilus). --warehouse\n"
      "defaults to the directory of a sqlite catalog file and is required for other catalogs;\n"
      "these verbs only read tables, whose metadata locations the catalog stores.");
  table->require_subcommand(1);
  nilus::cli::TableCliOptions table_options;
  auto add_common = [&](CLI::App* cmd) {
    cmd->add_option("--catalog", table_options.catalog_uri, "SQL catalog URI")->required();
    cmd->add_option("--catalog-name", table_options.catalog_name, "Catalog name in the database")
        ->capture_default_str();
    cmd->add_option("--warehouse", table_options.warehouse,
                    "Warehouse root (default: the sqlite file's directory)");
    cmd->add_flag("--json", table_options.json, "Print JSON instead of text");
  };
  std::string table_ns;
  auto* table_list = table->add_subcommand("list", "List namespaces and their tables");
  add_common(table_list);
  table_list->add_option("--namespace", table_ns, "Only this namespace and those below it");
  std::string table_ident;
  auto* table_show = table->add_subcommand("show", "Show a table's metadata and current state");
  add_common(table_show);
  table_show->add_option("TABLE", table_ident, "NAMESPACE.TABLE")->required();
  auto* table_history = table->add_subcommand("history", "List the current snapshot's ancestry");
  add_common(table_history);
  table_history->add_option("TABLE", table_ident, "NAMESPACE.TABLE")->required();
  std::string older_than = "3d";
  bool dry_run = false;
  auto* table_orphans = table->add_subcommand(
      "orphans",
      "Delete files under the table location that no snapshot references.\n"
      "Reachable: the current metadata file and its metadata-log, version-hint.text, every\n"
      "snapshot's manifest list, manifests, data and delete files. Only files last modified at\n"
      "least --older-than ago are deleted, so commits in flight keep their files; file ages are\n"
      "read for local paths only (elsewhere only --older-than 0 deletes anything).");
  add_common(table_orphans);
  table_orphans->add_option("TABLE", table_ident, "NAMESPACE.TABLE")->required();
  table_orphans->add_option("--older-than", older_than, "Minimum age: 3d, 12h, 30m, 45s or 0")
      ->capture_default_str();
  table_orphans->add_flag("--dry-run", dry_run, "List the orphans without deleting them");

  std::string expire_older_than;
  int retain_last = 0;
  bool expire_dry_run = false;
  auto* table_expire = table->add_subcommand(
      "expire",
      "Remove old snapshots and delete the files only they reach.\n"
      "Keeps the current snapshot, the newest --retain-last of each branch and every tagged\n"
      "snapshot; deletes manifest lists, manifests and data/delete files no kept snapshot uses.");
  add_common(table_expire);
  table_expire->add_option("TABLE", table_ident, "NAMESPACE.TABLE")->required();
  table_expire->add_option("--older-than", expire_older_than,
                           "Expire snapshots older than this (7d, 12h, 0); default: the table's "
                           "history.expire.max-snapshot-age-ms (5 days)");
  table_expire
      ->add_option("--retain-last", retain_last,
                   "Always keep this many newest snapshots per branch (default: the "
                   "table's history.expire.min-snapshots-to-keep, 1)")
      ->check(CLI::NonNegativeNumber);
  table_expire->add_flag("--dry-run", expire_dry_run, "Report what would go; change nothing");

  std::string target_size;
  std::string where;
  int min_input_files = 2;
  auto* table_compact = table->add_subcommand(
      "compact",
      "Rewrite small data files, and files with row-level deletes, into target-size files\n"
      "with the deletes applied, committed as one 'replace' snapshot. Readers see the same rows.");
  add_common(table_compact);
  table_compact->add_option("TABLE", table_ident, "NAMESPACE.TABLE")->required();
  table_compact->add_option("--target-size", target_size,
                            "Target file size (512MiB, 128MB, bytes); default: the table's "
                            "write.target-file-size-bytes, else 512 MiB");
  table_compact->add_option("--where", where,
                            "Only partitions with these partition values: field=value[,...]");
  table_compact
      ->add_option("--min-input-files", min_input_files,
                   "Rewrite a partition only when it has at least this many small "
                   "files (files with deletes are always rewritten)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  nilus::cli::RunCliOptions run_options;
  auto* run = app.add_subcommand(
      "run", "Run a pipeline: a batch load, or CDC streaming when the file has a cdc: section");
  run->add_option("PIPELINE", run_options.path, "Pipeline YAML file")->required();
  run->add_flag("--dry-run", run_options.dry_run,
                "Read a sample, show the inferred schema and planned changes; write nothing");
  run->add_flag("--full-refresh", run_options.full_refresh,
                "Ignore incremental cursors and replace every table");
  run->add_option("--log-format", run_options.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  run->add_option("--progress", run_options.progress, "auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  run->add_option("--until-lsn", run_options.until_lsn,
                  "CDC: stop once everything up to this WAL position (X/Y, or 'current' for the "
                  "position at start) is committed");
  std::string validate_path;
  auto* validate = app.add_subcommand("validate", "Check a pipeline file; list every error");
  validate->add_option("PIPELINE", validate_path, "Pipeline YAML file")->required();

  nilus::cli::ManagerCliOptions manager_options;
  auto* manager = app.add_subcommand(
      "manager",
      "Run the Nilus Manager: the run-metadata HTTP API on PostgreSQL, /metrics, retention and\n"
      "archival (docs/manager.md). Every setting can also come from NILUS_MANAGER_* variables.");
  manager->add_option("--config", manager_options.config_path, "Manager YAML file");
  manager->add_flag("--retention-once", manager_options.retention_once,
                    "Run one retention and archival pass, then exit");
  manager->add_option("--now", manager_options.now,
                      "With --retention-once: the pass's notion of now (ISO 8601, UTC)");
  manager->add_flag("--check-config", manager_options.check_config,
                    "Print the resolved configuration (secrets masked) and exit");

  CLI11_PARSE(app, argc, argv);
  nilus::SetLogLevel(log_level);

  if (*run) return nilus::cli::RunPipeline(run_options);
  if (*manager) return nilus::cli::RunManager(manager_options);
  if (*validate) return nilus::cli::RunValidate(validate_path);
  if (*inspect) return nilus::cli::RunParquetInspect(inspect_path, inspect_json);
  if (*demo) return nilus::cli::RunParquetDemo(demo_path);
  if (*table_list) return nilus::cli::RunTableList(table_options, table_ns);
  if (*table_show) return nilus::cli::RunTableShow(table_options, table_ident);
  if (*table_history) return nilus::cli::RunTableHistory(table_options, table_ident);
  if (*table_orphans) {
    return nilus::cli::RunTableOrphans(table_options, table_ident, older_than, dry_run);
  }
  if (*table_expire) {
    return nilus::cli::RunTableExpire(table_options, table_ident, expire_older_than, retain_last,
                                      expire_dry_run);
  }
  if (*table_compact) {
    return nilus::cli::RunTableCompact(table_options, table_ident, target_size, where,
                                       min_input_files);
  }
  return 2;
}
