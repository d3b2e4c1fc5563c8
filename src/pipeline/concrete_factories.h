// The concrete sources and destination of the batch runner: PostgreSQL, SQLite, CSV and JSON
// Lines sources, and Iceberg tables in a catalog. Kept in one file so the runner itself only
// sees the SourceFactory/SinkFactory interfaces (the cli wires these in).
#pragma once

#include <memory>
#include <string>

#include "iceberg/table.h"
#include "pipeline/runner.h"
#include "storage/file_io.h"

namespace nilus::pipeline {

// Sources for every SourceKind. File sources read through `io` (not owned, must outlive the
// factory and its streams).
std::unique_ptr<SourceFactory> MakeDefaultSourceFactory(FileIO* io);

// Iceberg tables in namespace `ns` of `catalog` (not owned). The namespace is created on first
// use when missing.
std::unique_ptr<SinkFactory> MakeIcebergSinkFactory(iceberg::Catalog* catalog, std::string ns);

}  // namespace nilus::pipeline
