#include <cstdio>

#include "cli/commands.h"

namespace nilus::cli {
int RunParquetInspect(const std::string& path, bool json) {
  std::fprintf(stderr, "nilus parquet inspect: not built yet\n");
  return 1;
}
}  // namespace nilus::cli
