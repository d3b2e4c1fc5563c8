// The `nilus` command line. The only place that names concrete sources, sinks and backends.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/logging.h"

int main(int argc, char** argv) {
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

  CLI11_PARSE(app, argc, argv);
  nilus::SetLogLevel(log_level);

  if (*inspect) return nilus::cli::RunParquetInspect(inspect_path, inspect_json);
  if (*demo) return nilus::cli::RunParquetDemo(demo_path);
  return 2;
}
