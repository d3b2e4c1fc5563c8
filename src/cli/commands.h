// Entry points of the `nilus` subcommands. Each returns the process exit code and prints its
// own errors to stderr.
#pragma once

#include <string>

namespace nilus::cli {

// `nilus parquet inspect FILE [--json]`: schema, row groups, encodings, compression and
// statistics of a Parquet file.
int RunParquetInspect(const std::string& path, bool json);

// `nilus parquet demo OUT.parquet`: writes a sample file covering every Iceberg type.
int RunParquetDemo(const std::string& out_path);

}  // namespace nilus::cli
