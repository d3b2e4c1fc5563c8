// `nilus parquet demo OUT.parquet`: writes the sample data set (every Iceberg type, required
// and optional, nested lists, maps and structs, edge values and nulls) with zstd, through
// LocalFileIO, and prints a one-line summary.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "formats/parquet/testing/sample_data.h"
#include "formats/parquet/writer.h"
#include "storage/local_file_io.h"

namespace nilus::cli {

namespace {

Result<parquet::ParquetFileMetrics> WriteDemo(const std::string& out_path) {
  LocalFileIO io;
  SchemaPtr schema = parquet::testing::SampleSchema();
  parquet::ParquetWriterOptions options;
  options.compression = parquet::Compression::kZstd;
  options.key_value_metadata = {{"nilus.demo", "sample data covering every Iceberg type"}};
  NILUS_ASSIGN_OR_RAISE(auto writer, parquet::ParquetWriter::Open(&io, out_path, schema, options));
  // Several batches, as a pipeline would send them; the next one is built while the writer
  // encodes the previous one.
  constexpr int64_t kBatchRows = 250;
  for (int64_t first = 0; first < parquet::testing::kDemoRows; first += kBatchRows) {
    auto batch = std::make_shared<ColumnBatch>(schema);
    const int64_t n = std::min(kBatchRows, parquet::testing::kDemoRows - first);
    parquet::testing::AppendSampleRows(batch.get(), first, n);
    NILUS_RETURN_NOT_OK(writer->Write(std::shared_ptr<const ColumnBatch>(std::move(batch))));
  }
  return writer->Close();
}

}  // namespace

int RunParquetDemo(const std::string& out_path) {
  auto metrics = WriteDemo(out_path);
  if (!metrics.ok()) {
    std::fprintf(stderr, "nilus parquet demo: %s\n", metrics.status().ToString().c_str());
    return 1;
  }
  const size_t top_level = parquet::testing::SampleSchema()->fields().size();
  std::printf(
      "wrote %s: %lld rows, %lld bytes, %zu columns (%zu leaf columns), %zu row group%s, zstd\n",
      out_path.c_str(), static_cast<long long>(metrics->record_count),
      static_cast<long long>(metrics->file_size), top_level, metrics->columns.size(),
      metrics->split_offsets.size(), metrics->split_offsets.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace nilus::cli
