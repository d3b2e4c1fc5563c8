#include <cstdio>

#include "cli/commands.h"

namespace nilus::cli {
int RunParquetDemo(const std::string& out_path) {
  std::fprintf(stderr, "nilus parquet demo: not built yet\n");
  return 1;
}
}  // namespace nilus::cli
